// `syllo models list|show|export|import|delete|quantize --db KB`: the model
// registry of a knowledge base.
//
//   syllo models list --db KB
//   syllo models show fashion[@3] --db KB
//   syllo models export fashion@3 --db KB -o fashion3.json
//   syllo models import fashion3.json --db OTHER [--as NAME]
//   syllo models delete fashion@3 --db KB        (or every version: fashion)
//   syllo models quantize fashion@3 --db KB --data idx:... [--off]
//   syllo models evaluate digit[@2] --db KB --data kb:digit_test [--label-column label]
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "kb/knowledge_base.h"
#include "kb/model_registry.h"
#include "learners/dataset.h"
#include "learners/model_design.h"
#include "learners/model_predicates.h"
#include "learners/trainer.h"

namespace syllo::cli {
namespace {

struct ModelsOptions {
  std::string db;
  std::string reference;  // NAME[@V], or a file for import
  std::string output;
  std::string rename;
  std::string data;
  std::int64_t limit = 0;
  std::string label_column = "label";
  bool off = false;
};

int Fail(const Status& s) {
  std::cerr << "syllo models: " << s.message() << "\n";
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kNotFound:
    case StatusCode::kCorruption:
      return kExitInputError;
    default:
      return kExitIoError;
  }
}

std::string Fixed(double x, int digits) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", digits, x);
  return buf;
}

int List(kb::KnowledgeBase& base) {
  auto models = kb::ListModels(base);
  if (!models.ok()) return Fail(models.status());
  if (models->empty()) {
    std::cout << "no models in " << base.path() << "\n";
    return kExitOk;
  }
  std::printf("%-16s %7s %-5s %9s %7s %-6s %-10s %s\n", "MODEL", "VERSION", "ARCH", "ACCURACY", "PARENT", "INT8",
              "WEIGHTS", "CREATED");
  for (const kb::ModelRecord& r : *models) {
    auto metrics = nlohmann::json::parse(r.metrics, nullptr, false);
    const double acc = metrics.is_object() ? metrics.value("test_accuracy", 0.0) : 0.0;
    std::printf("%-16s %7lld %-5s %9s %7s %-6s %-10s %s\n", r.name.c_str(), static_cast<long long>(r.version),
                r.architecture.c_str(), Fixed(acc, 4).c_str(),
                r.parent_version ? std::to_string(*r.parent_version).c_str() : "-", r.quantized ? "yes" : "no",
                (Fixed(static_cast<double>(r.weights_bytes) / 1024.0, 1) + "K").c_str(), r.created_at.c_str());
  }
  return kExitOk;
}

int Show(kb::KnowledgeBase& base, const std::string& reference) {
  auto ref = kb::ParseModelReference(reference);
  if (!ref.ok()) return Fail(ref.status());
  auto r = kb::GetModel(base, ref->first, ref->second, false);
  if (!r.ok()) return Fail(r.status());
  auto design = learners::DesignFromJson(r->design);
  nlohmann::json doc = {{"model", r->name + "@" + std::to_string(r->version)},
                        {"architecture", r->architecture},
                        {"summary", design.ok() ? learners::DescribeDesign(*design) : ""},
                        {"design", nlohmann::json::parse(r->design)},
                        {"labels", nlohmann::json::parse(r->labels)},
                        {"dataset", nlohmann::json::parse(r->dataset)},
                        {"metrics", nlohmann::json::parse(r->metrics)},
                        {"quantized", r->quantized},
                        {"quantization", nlohmann::json::parse(r->quantization)},
                        {"created_at", r->created_at},
                        {"weights_bytes", r->weights_bytes},
                        {"weights_hash", r->weights_hash}};
  if (r->parent_version) doc["fine_tuned_from"] = r->name + "@" + std::to_string(*r->parent_version);
  std::cout << doc.dump(2) << "\n";
  return kExitOk;
}

int Export(kb::KnowledgeBase& base, const ModelsOptions& o) {
  auto ref = kb::ParseModelReference(o.reference);
  if (!ref.ok()) return Fail(ref.status());
  auto r = kb::GetModel(base, ref->first, ref->second, true);
  if (!r.ok()) return Fail(r.status());
  const std::string text = kb::ExportModel(*r);
  if (o.output.empty() || o.output == "-") {
    std::cout << text;
  } else {
    const std::string temp = o.output + ".tmp";
    {
      std::ofstream out(temp, std::ios::binary);
      out << text;
      if (!out.flush()) return Fail(Status::IoError("cannot write " + temp));
    }
    if (std::rename(temp.c_str(), o.output.c_str()) != 0) return Fail(Status::IoError("cannot write " + o.output));
    std::cerr << "exported " << r->name << "@" << r->version << " to " << o.output << "\n";
  }
  return kExitOk;
}

int Import(kb::KnowledgeBase& base, const ModelsOptions& o) {
  std::ifstream in(o.reference, std::ios::binary);
  if (!in) return Fail(Status::IoError("cannot read " + o.reference));
  std::stringstream text;
  text << in.rdbuf();
  auto version = kb::ImportModel(base, text.str(), o.reference, o.rename);
  if (!version.ok()) return Fail(version.status());
  auto r = kb::GetModel(base, o.rename.empty() ? nlohmann::json::parse(text.str())["name"].get<std::string>() : o.rename,
                        *version, false);
  std::cout << "imported " << (r.ok() ? r->name : o.rename) << "@" << *version << "\n";
  return kExitOk;
}

int Delete(kb::KnowledgeBase& base, const std::string& reference) {
  auto ref = kb::ParseModelReference(reference);
  if (!ref.ok()) return Fail(ref.status());
  auto n = kb::DeleteModel(base, ref->first, ref->second);
  if (!n.ok()) return Fail(n.status());
  std::cout << "deleted " << *n << (*n == 1 ? " version" : " versions") << " of " << ref->first << "\n";
  return kExitOk;
}

int Quantize(kb::KnowledgeBase& base, const ModelsOptions& o) {
  auto ref = kb::ParseModelReference(o.reference);
  if (!ref.ok()) return Fail(ref.status());
  auto r = kb::GetModel(base, ref->first, ref->second, false);
  if (!r.ok()) return Fail(r.status());
  if (o.off) {
    if (Status st = kb::SetQuantization(base, r->name, r->version, false, r->quantization); !st.ok()) return Fail(st);
    std::cout << r->name << "@" << r->version << " is served in float\n";
    return kExitOk;
  }
  if (o.data.empty()) {
    std::cerr << "syllo models quantize: give --data SRC to measure int8 inference on (or --off)\n";
    return kExitUsage;
  }
  learners::DataOptions data_options;
  data_options.labels = nlohmann::json::parse(r->labels).get<std::vector<std::string>>();
  data_options.limit = o.limit;
  auto splits = learners::LoadDataset(o.data, data_options, &base);
  if (!splits.ok()) return Fail(splits.status());
  auto norm = learners::NormalizationFromJson(r->normalization);
  if (!norm.ok()) return Fail(norm.status());
  engine::TensorBatch& test = splits->test.size() > 0 ? splits->test.examples : splits->train.examples;
  if (!norm->empty()) norm->Apply(test.features, test.example_size());
  auto q = learners::MeasureQuantization(base, r->name, r->version, test, true);
  if (!q.ok()) return Fail(q.status());
  std::cout << r->name << "@" << r->version << ": int8 accuracy " << Fixed(q->quantized_accuracy, 4) << " (float "
            << Fixed(q->float_accuracy, 4) << "), " << Fixed(q->speedup(), 2)
            << "x the float speed on " << test.size() << " examples; now served quantised\n";
  return kExitOk;
}

// The accuracy of a stored version on every example of a data set (no split).
int Evaluate(kb::KnowledgeBase& base, const ModelsOptions& o) {
  auto ref = kb::ParseModelReference(o.reference);
  if (!ref.ok()) return Fail(ref.status());
  auto served = learners::LoadServedModel(base, ref->first, ref->second, false);
  if (!served.ok()) return Fail(served.status());
  learners::DataOptions data_options;
  data_options.labels = (*served)->labels;
  data_options.label_column = o.label_column;
  data_options.limit = o.limit;
  data_options.validation_fraction = 0;
  data_options.test_fraction = 0;
  auto splits = learners::LoadDataset(o.data, data_options, &base);
  if (!splits.ok()) return Fail(splits.status());
  // IDX has its own test split: evaluate on it; other sources are used whole.
  engine::TensorBatch& data = splits->test.size() > 0 ? splits->test.examples : splits->train.examples;
  if (!(*served)->normalization.empty()) (*served)->normalization.Apply(data.features, data.example_size());
  auto acc = learners::Accuracy(*(*served)->model, data);
  if (!acc.ok()) return Fail(acc.status());
  std::cout << (*served)->name << "@" << (*served)->version << ": accuracy " << Fixed(*acc, 4) << " on "
            << data.size() << " examples\n";
  return kExitOk;
}

}  // namespace

void AddModelsCommand(CLI::App& app, CommandContext& ctx) {
  auto o = std::make_shared<ModelsOptions>();
  CLI::App* cmd = app.add_subcommand("models", "List, show, export, import, delete, quantise or evaluate stored models");
  cmd->require_subcommand(1);
  auto db = [&](CLI::App* sub) { sub->add_option("--db", o->db, "The knowledge base")->required(); };
  CLI::App* list = cmd->add_subcommand("list", "Every model version in the KB");
  db(list);
  list->callback([o, &ctx] {
    auto base = kb::KnowledgeBase::Open(o->db, kb::OpenMode::kReadWrite);
    ctx.exit_code = base.ok() ? List(**base) : Fail(base.status());
  });
  auto with_ref = [&](const char* name, const char* help, const char* what) {
    CLI::App* sub = cmd->add_subcommand(name, help);
    sub->add_option("model", o->reference, what)->required();
    db(sub);
    return sub;
  };
  CLI::App* show = with_ref("show", "A version's design, data, metrics (latest without @V)", "NAME[@VERSION]");
  show->callback([o, &ctx] {
    auto base = kb::KnowledgeBase::Open(o->db, kb::OpenMode::kReadWrite);
    ctx.exit_code = base.ok() ? Show(**base, o->reference) : Fail(base.status());
  });
  CLI::App* exp = with_ref("export", "Write a version as JSON (weights included)", "NAME[@VERSION]");
  exp->add_option("-o,--output", o->output, "The file (default: standard output)");
  exp->callback([o, &ctx] {
    auto base = kb::KnowledgeBase::Open(o->db, kb::OpenMode::kReadWrite);
    ctx.exit_code = base.ok() ? Export(**base, *o) : Fail(base.status());
  });
  CLI::App* imp = with_ref("import", "Add an exported version as the next version", "FILE");
  imp->add_option("--as", o->rename, "Store under this name");
  imp->callback([o, &ctx] {
    auto base = kb::KnowledgeBase::Open(o->db, kb::OpenMode::kCreate);
    ctx.exit_code = base.ok() ? Import(**base, *o) : Fail(base.status());
  });
  CLI::App* del = with_ref("delete", "Delete a version (NAME@V) or every version (NAME)", "NAME[@VERSION]");
  del->callback([o, &ctx] {
    auto base = kb::KnowledgeBase::Open(o->db, kb::OpenMode::kReadWrite);
    ctx.exit_code = base.ok() ? Delete(**base, o->reference) : Fail(base.status());
  });
  CLI::App* quant = with_ref("quantize", "Measure int8 inference and serve it (or --off)", "NAME[@VERSION]");
  quant->add_option("--data", o->data, "Data to measure on: idx:..., csv:..., kb:...");
  quant->add_option("--limit", o->limit, "At most N examples")->check(CLI::NonNegativeNumber);
  quant->add_flag("--off", o->off, "Serve float inference again");
  quant->callback([o, &ctx] {
    auto base = kb::KnowledgeBase::Open(o->db, kb::OpenMode::kReadWrite);
    ctx.exit_code = base.ok() ? Quantize(**base, *o) : Fail(base.status());
  });
  CLI::App* eval = with_ref("evaluate", "The accuracy of a version on labelled data", "NAME[@VERSION]");
  eval->add_option("--data", o->data, "idx:..., csv:..., kb:...")->required();
  eval->add_option("--label-column", o->label_column, "csv/kb: the label column (default label)");
  eval->add_option("--limit", o->limit, "At most N examples")->check(CLI::NonNegativeNumber);
  eval->callback([o, &ctx] {
    auto base = kb::KnowledgeBase::Open(o->db, kb::OpenMode::kReadWrite);
    ctx.exit_code = base.ok() ? Evaluate(**base, *o) : Fail(base.status());
  });
}

}  // namespace syllo::cli
