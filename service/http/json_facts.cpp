#include "service/http/json_facts.h"

#include <cmath>
#include <functional>

namespace syllo::service {

namespace {

using nlohmann::json;

std::string JsonTypeName(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "an integer";
    case json::value_t::number_float: return "a number";
    case json::value_t::string: return "a string";
    case json::value_t::array: return "an array";
    case json::value_t::object: return "an object";
    default: return "a value";
  }
}

Status Expected(const std::string& where, const std::string& what, const json& got) {
  return Status::InvalidArgument(where + ": expected " + what + ", got " + JsonTypeName(got));
}

// Nested arrays of numbers in row-major order (a photo: 28 arrays of 28), or
// one flat array of them all.
Status Flatten(const json& v, std::size_t depth, std::vector<float>& out, std::vector<std::int64_t>& shape,
               const std::string& where) {
  if (v.is_number()) {
    const double d = v.get<double>();
    if (!std::isfinite(d)) return Status::InvalidArgument(where + ": a tensor element is not finite");
    if (depth != shape.size()) return Status::InvalidArgument(where + ": the tensor's nesting is ragged");
    out.push_back(static_cast<float>(d));
    return Status();
  }
  if (!v.is_array()) return Expected(where, "nested arrays of numbers (a tensor)", v);
  if (depth == shape.size()) {
    if (!out.empty()) return Status::InvalidArgument(where + ": the tensor's nesting is ragged");
    shape.push_back(static_cast<std::int64_t>(v.size()));
  } else if (depth > shape.size() || shape[depth] != static_cast<std::int64_t>(v.size())) {
    return Status::InvalidArgument(where + ": the tensor's rows differ in length");
  }
  for (const json& item : v) {
    if (Status s = Flatten(item, depth + 1, out, shape, where); !s.ok()) return s;
  }
  return Status();
}

Result<Value> ReadTensor(const json& v, const ColumnInfo& column, const std::string& where) {
  std::vector<float> data;
  std::vector<std::int64_t> shape;
  if (Status s = Flatten(v, 0, data, shape, where); !s.ok()) return s;
  std::int64_t want = 1;
  for (std::int64_t d : column.shape) want *= d;
  const bool flat = shape.size() == 1 && shape[0] == want;
  if (shape != column.shape && !flat) {
    std::string got;
    for (std::int64_t d : shape) got += (got.empty() ? "" : ",") + std::to_string(d);
    return Status::InvalidArgument(where + ": expected a " + column.type + " (nested arrays, or " +
                                   std::to_string(want) + " numbers), got shape [" + got + "]");
  }
  return Value::Tensor(std::move(data), column.shape);
}

Result<Value> ReadValue(const json& v, const ColumnInfo& column, const std::string& where) {
  const std::string& t = column.type;
  if (t == "int") {
    if (v.is_number_integer()) {
      if (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
        return Status::InvalidArgument(where + ": integer out of range");
      }
      return Value::Int(v.get<std::int64_t>());
    }
    if (v.is_number_float()) {
      double d = v.get<double>();
      if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15) return Value::Int(static_cast<std::int64_t>(d));
    }
    return Expected(where, "an int", v);
  }
  if (t == "float") {
    if (v.is_number()) return Value::Float(v.get<double>());
    return Expected(where, "a number", v);
  }
  if (t == "bool") {
    if (v.is_boolean()) return Value::Bool(v.get<bool>());
    return Expected(where, "a boolean", v);
  }
  if (t == "symbol") {
    if (v.is_string()) return Value::Symbol(v.get<std::string>());
    return Expected(where, "a string (a symbol)", v);
  }
  if (t == "string") {
    if (v.is_string()) return Value::String(v.get<std::string>());
    return Expected(where, "a string", v);
  }
  if (t == "any") {
    if (v.is_number_integer()) return Value::Int(v.get<std::int64_t>());
    if (v.is_number_float()) return Value::Float(v.get<double>());
    if (v.is_boolean()) return Value::Bool(v.get<bool>());
    if (v.is_string()) return Value::String(v.get<std::string>());
    return Expected(where, "a number, boolean or string", v);
  }
  if (t.rfind("tensor", 0) == 0) return ReadTensor(v, column, where);
  return Status::InvalidArgument(where + ": columns of type " + t + " cannot be given over HTTP");
}

}  // namespace

Result<std::vector<Fact>> ReadFacts(const Program& program, const json& facts, const std::string& where) {
  if (!facts.is_object()) return Expected(where, "an object of relation -> rows", facts);
  std::vector<Fact> out;
  for (const auto& [name, rows] : facts.items()) {
    const std::string at = where + "." + name;
    const RelationInfo* rel = program.FindRelation(name);
    if (rel == nullptr) return Status::InvalidArgument(at + ": the pack has no relation '" + name + "'");
    if (!rows.is_array()) return Expected(at, "an array of rows", rows);
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const json& row = rows[i];
      const std::string rat = at + "[" + std::to_string(i) + "]";
      Fact fact;
      fact.relation = name;
      if (row.is_array()) {
        if (row.size() != rel->columns.size()) {
          return Status::InvalidArgument(rat + ": " + name + " has " + std::to_string(rel->columns.size()) +
                                         " columns, the row has " + std::to_string(row.size()));
        }
        for (std::size_t c = 0; c < row.size(); ++c) {
          auto v = ReadValue(row[c], rel->columns[c], rat + "[" + std::to_string(c) + "]");
          if (!v.ok()) return v.status();
          fact.values.push_back(std::move(v).value());
        }
      } else if (row.is_object()) {
        for (const auto& [key, value] : row.items()) {
          if (key == kCertaintyKey) continue;
          bool known = false;
          for (const ColumnInfo& c : rel->columns) known = known || c.name == key;
          if (!known) return Status::InvalidArgument(rat + "." + key + ": " + name + " has no column '" + key + "'");
        }
        for (const ColumnInfo& c : rel->columns) {
          auto it = row.find(c.name);
          if (it == row.end()) return Status::InvalidArgument(rat + "." + c.name + ": missing");
          auto v = ReadValue(*it, c, rat + "." + c.name);
          if (!v.ok()) return v.status();
          fact.values.push_back(std::move(v).value());
        }
        if (auto cf = row.find(kCertaintyKey); cf != row.end()) {
          if (!cf->is_number()) return Expected(rat + "." + kCertaintyKey, "a number in [-1, 1]", *cf);
          fact.certainty = cf->get<double>();
          if (!(fact.certainty >= -1.0 && fact.certainty <= 1.0)) {
            return Status::InvalidArgument(rat + "." + kCertaintyKey + ": a certainty is in [-1, 1]");
          }
        }
      } else {
        return Expected(rat, "a row (an object by column or an array)", row);
      }
      out.push_back(std::move(fact));
    }
  }
  return out;
}

json ValueToJson(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kNone: return nullptr;
    case Value::Kind::kInt: return v.as_int();
    case Value::Kind::kFloat: return std::isfinite(v.as_float()) ? json(v.as_float()) : json(v.ToString());
    case Value::Kind::kBool: return v.as_bool();
    case Value::Kind::kSymbol:
    case Value::Kind::kString: return v.text();
    case Value::Kind::kTensor: {
      // Nested like the input: one array per leading dimension.
      const auto& shape = v.tensor_shape();
      const auto& data = v.tensor_data();
      std::function<json(std::size_t, std::size_t)> nest = [&](std::size_t dim, std::size_t offset) -> json {
        json a = json::array();
        std::size_t stride = 1;
        for (std::size_t k = dim + 1; k < shape.size(); ++k) stride *= static_cast<std::size_t>(shape[k]);
        for (std::int64_t i = 0; i < (shape.empty() ? 0 : shape[dim]); ++i) {
          a.push_back(dim + 1 == shape.size() ? json(data[offset + i]) : nest(dim + 1, offset + i * stride));
        }
        return a;
      };
      return nest(0, 0);
    }
  }
  return nullptr;
}

json FactToJson(const RelationInfo& relation, const Fact& fact) {
  json values = json::object();
  for (std::size_t i = 0; i < fact.values.size() && i < relation.columns.size(); ++i) {
    values[relation.columns[i].name] = ValueToJson(fact.values[i]);
  }
  return json{{"values", std::move(values)}, {"certainty", fact.certainty}};
}

json ExplanationToJson(const Explanation& e) {
  json j{{"fact", e.fact}, {"certainty", e.certainty}, {"source", std::string(SourceName(e.source))}};
  if (!e.rule.empty()) j["rule"] = e.rule;
  if (!e.location.empty()) j["location"] = e.location;
  if (!e.model.empty()) {
    j["model"] = e.model;
    j["model_version"] = e.model_version;
  }
  if (!e.note.empty()) j["note"] = e.note;
  if (!e.premises.empty()) {
    json premises = json::array();
    for (const Explanation& p : e.premises) premises.push_back(ExplanationToJson(p));
    j["premises"] = std::move(premises);
  }
  return j;
}

json SolutionToJson(const Solution& s) {
  json bindings = json::object();
  for (const auto& [name, value] : s.bindings) bindings[name] = ValueToJson(value);
  return json{{"bindings", std::move(bindings)}, {"certainty", s.certainty}, {"text", s.text}};
}

json QuestionToJson(const Question& q) {
  json j{{"id", q.id}, {"text", q.text}, {"kind", q.kind}};
  if (!q.choices.empty()) j["choices"] = q.choices;
  if (q.min) j["min"] = *q.min;
  if (q.max) j["max"] = *q.max;
  return j;
}

json RelationToJson(const RelationInfo& r) {
  json columns = json::array();
  for (const ColumnInfo& c : r.columns) columns.push_back({{"name", c.name}, {"type", c.type}});
  return json{{"name", r.name}, {"columns", std::move(columns)}, {"derived", r.derived}, {"askable", r.askable}};
}

}  // namespace syllo::service
