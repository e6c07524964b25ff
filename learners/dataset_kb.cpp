// kb:RELATION — a dataset from a relation of the knowledge base.
//
// The features are the relation's one tensor column if it has one (other
// columns, such as an id, are then ignored), else every int and float column
// but the label. The label column holds a symbol, a string or an int. A fact's
// certainty and origin are ignored. Rows are numbered from 1 in insertion order.
#include <algorithm>
#include <cmath>
#include <span>
#include <string>
#include <vector>

#include "engine/tensor_pool.h"
#include "engine/value.h"
#include "kb/knowledge_base.h"
#include "learners/dataset_sources.h"

namespace syllo::learners {

using engine::ValueKind;

Result<Dataset> ReadKbDataset(kb::KnowledgeBase& kb, const std::string& relation, const DataOptions& options) {
  Result<kb::RelationInfo> info = kb.GetRelation(relation, false);
  if (!info.ok()) return info.status();
  const std::string source = "kb:" + relation;
  const std::vector<engine::Column>& columns = info->columns;

  std::int64_t label_at = -1;
  std::vector<std::size_t> tensors, numbers;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].name == options.label_column) {
      label_at = static_cast<std::int64_t>(i);
    } else if (columns[i].type.kind == ValueKind::kTensor) {
      tensors.push_back(i);
    } else if (columns[i].type.kind == ValueKind::kInt || columns[i].type.kind == ValueKind::kFloat) {
      numbers.push_back(i);
    }
  }
  if (label_at < 0) {
    return Status::InvalidArgument(source + ": no label column '" + options.label_column + "' in " + info->signature);
  }
  const engine::Column& label_column = columns[static_cast<std::size_t>(label_at)];
  const ValueKind label_kind = label_column.type.kind;
  if (label_kind != ValueKind::kSymbol && label_kind != ValueKind::kString && label_kind != ValueKind::kInt) {
    return Status::InvalidArgument(source + ": the label column '" + label_column.name + "' is " +
                                   label_column.type.ToString() + "; it must be a symbol, string or int");
  }
  if (tensors.size() > 1) {
    return Status::InvalidArgument(source + ": " + std::to_string(tensors.size()) +
                                   " tensor columns; the features must be one tensor column or number columns");
  }
  if (tensors.empty() && numbers.empty()) {
    return Status::InvalidArgument(source + ": no feature column (int, float or one tensor) besides the label in " +
                                   info->signature);
  }
  const bool tensor_features = !tensors.empty();
  const std::vector<std::size_t> feature_at = tensor_features ? tensors : numbers;

  Dataset ds;
  std::int64_t example_size = 0;
  if (tensor_features) {
    const engine::ColumnType& type = columns[tensors[0]].type;
    ds.examples.example_shape = type.shape;
    example_size = type.element_count();
  } else {
    ds.examples.example_shape = {static_cast<std::int64_t>(numbers.size())};
    example_size = static_cast<std::int64_t>(numbers.size());
  }

  Result<std::vector<kb::FactRow>> rows = kb.Facts(relation);
  if (!rows.ok()) return rows.status();
  const std::size_t count = options.limit > 0 ? std::min<std::size_t>(rows->size(), options.limit) : rows->size();
  ds.examples.features.reserve(count * static_cast<std::size_t>(example_size));
  LabelIndexer indexer(options.labels);
  for (std::size_t r = 0; r < count; ++r) {
    const kb::FactRow& row = (*rows)[r];
    const std::string where = source + ": row " + std::to_string(r + 1);
    auto column_error = [&](std::size_t c, const std::string& what) {
      return Status::InvalidArgument(where + ": column '" + columns[c].name + "': " + what);
    };
    if (row.values.size() != columns.size()) {
      return Status::Corruption(where + ": " + std::to_string(row.values.size()) + " values for " +
                                std::to_string(columns.size()) + " columns");
    }
    for (std::size_t c : feature_at) {
      const engine::Value& v = row.values[c];
      if (tensor_features) {
        if (v.kind() != ValueKind::kTensor) return column_error(c, "not a tensor");
        std::span<const float> data = engine::TensorPool::Global().data(v.as_tensor());
        if (static_cast<std::int64_t>(data.size()) != example_size) {
          return column_error(c, "a tensor of " + std::to_string(data.size()) + " values, expected " +
                                     std::to_string(example_size));
        }
        for (float f : data) {
          if (!std::isfinite(f)) return column_error(c, "the tensor holds a NaN or infinite value");
        }
        ds.examples.features.insert(ds.examples.features.end(), data.begin(), data.end());
      } else {
        if (!v.is_number()) return column_error(c, "not a number");
        const double d = v.as_number();
        if (!std::isfinite(d) || !std::isfinite(static_cast<float>(d))) {
          return column_error(c, v.ToString() + " is not a finite float");
        }
        ds.examples.features.push_back(static_cast<float>(d));
      }
    }
    const engine::Value& label = row.values[static_cast<std::size_t>(label_at)];
    std::string text;
    if (label.kind() == ValueKind::kSymbol || label.kind() == ValueKind::kString) {
      text = std::string(label.text());
    } else if (label.kind() == ValueKind::kInt) {
      text = std::to_string(label.as_int());
    } else {
      return column_error(static_cast<std::size_t>(label_at), "a label must be a symbol, string or int");
    }
    if (!indexer.Add(text)) {
      return column_error(static_cast<std::size_t>(label_at),
                          "'" + text + "' is not one of the labels (" + indexer.DeclaredList() + ")");
    }
  }
  indexer.Finish(ds.label_names, ds.examples.labels);
  ds.description = source;
  return ds;
}

}  // namespace syllo::learners
