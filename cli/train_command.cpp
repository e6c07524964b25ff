// `syllo train MODEL [PACK...] --data SRC --db KB [options]`: designs come from
// the packs' `model` declarations (or --design FILE.json), the data from IDX,
// CSV or a KB relation; the trained version goes into the KB's registry.
//
//   syllo train fashion packs/product_intake/intake.syl --db intake.db
//       --data idx:/usr/share/datasets/fashion-mnist --epochs 2 --curves fashion
//   syllo train fashion PACK --db KB --data csv:new_items.csv --from 1 --freeze 2
//   syllo train digit packs/mnist_addition/addition.syl --db mnist.db
//       --through add1 --data kb:add1_train --test-data kb:add1_test
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/command.h"
#include "cli/program_loading.h"
#include "kb/knowledge_base.h"
#include "kb/model_registry.h"
#include "learners/model_design.h"
#include "learners/trainer.h"

namespace syllo::cli {
namespace {

struct TrainOptions {
  std::string model;
  std::vector<std::string> packs;
  std::string design_file;
  std::string db;
  std::string data;
  std::string label_column;  // empty: `label` (through rules: the goal's last column)
  std::string through;       // train through the rules of this goal relation
  std::string test_data;
  std::int64_t proofs = 0;
  std::vector<std::string> labels;
  std::int64_t epochs = 0, batch = 0, limit = 0, freeze = 0, seed = -1, patience = -1;
  double lr = 0, validation = 0.1, test = 0.1;
  std::string from;  // a version to fine-tune
  std::string curves;
  bool quantize = false;
  int threads = 0;
};

std::atomic<bool> g_cancel{false};
extern "C" void OnInterrupt(int) { g_cancel.store(true); }

int Fail(const std::string& what, const Status& s) {
  std::cerr << "syllo train: " << what << s.message() << "\n";
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kNotFound:
    case StatusCode::kAlreadyExists:
    case StatusCode::kCorruption:
      return kExitInputError;
    default:
      return kExitIoError;
  }
}

int RunTrain(const TrainOptions& o, const CommandContext& ctx) {
  learners::TrainPlan plan;
  if (!o.design_file.empty()) {
    std::ifstream in(o.design_file);
    if (!in) return Fail("", Status::IoError("cannot read " + o.design_file));
    std::stringstream text;
    text << in.rdbuf();
    auto design = learners::DesignFromJson(text.str());
    if (!design.ok()) return Fail(o.design_file + ": ", design.status());
    plan.design = *design;
    plan.design.name = o.model;
    plan.labels = o.labels;
    if (plan.labels.empty()) {
      for (std::int64_t i = 0; i < plan.design.classes; ++i) plan.labels.push_back(std::to_string(i));
    }
  } else {
    if (o.packs.empty()) {
      std::cerr << "syllo train: give the pack that declares model '" << o.model << "', or --design FILE.json\n";
      return kExitUsage;
    }
    int exit_code = kExitOk;
    auto compiled = LoadAndCompile(o.packs, ctx, &exit_code);
    if (!compiled) return exit_code;
    auto design = learners::DesignFromProgram(compiled->loaded.program, o.model, &plan.labels);
    if (!design.ok()) return Fail("", design.status());
    plan.design = *design;
    if (!o.through.empty()) {
      learners::GoalDataPlan goals;
      goals.program = compiled->spec;
      goals.host = compiled->host.get();
      goals.goal = o.through;
      goals.label_column = o.label_column;
      goals.data = o.data;
      goals.test_data = o.test_data;
      plan.through = goals;
    }
  }
  if (!o.through.empty() && !plan.through) {
    std::cerr << "syllo train: --through needs the packs whose rules derive '" << o.through << "'\n";
    return kExitUsage;
  }
  if (o.through.empty() && (!o.test_data.empty() || o.proofs > 0)) {
    std::cerr << "syllo train: --test-data and --proofs go with --through\n";
    return kExitUsage;
  }
  if (!o.labels.empty()) plan.labels = o.labels;
  if (static_cast<std::int64_t>(plan.labels.size()) != plan.design.classes) {
    return Fail("", Status::InvalidArgument("model " + o.model + " has " + std::to_string(plan.design.classes) +
                                            " classes but " + std::to_string(plan.labels.size()) + " labels"));
  }
  if (o.epochs > 0) plan.design.epochs = o.epochs;
  if (o.batch > 0) plan.design.batch = o.batch;
  if (o.lr > 0) plan.design.lr = o.lr;
  if (o.seed >= 0) plan.design.seed = o.seed;
  if (o.patience >= 0) plan.design.patience = o.patience;
  plan.data = o.data;
  plan.data_options.label_column = o.label_column.empty() ? "label" : o.label_column;
  plan.data_options.limit = o.limit;
  plan.data_options.validation_fraction = o.validation;
  plan.data_options.test_fraction = o.test;
  plan.data_options.seed = static_cast<std::uint64_t>(plan.design.seed);
  if (!o.from.empty()) {
    auto ref = kb::ParseModelReference(o.from.find('@') == std::string::npos && !o.from.empty() &&
                                               std::isdigit(static_cast<unsigned char>(o.from[0]))
                                           ? o.model + "@" + o.from
                                           : o.from);
    if (!ref.ok()) return Fail("--from: ", ref.status());
    if (ref->first != o.model) {
      return Fail("--from: ", Status::InvalidArgument("fine-tuning continues a version of " + o.model + ", not " +
                                                      ref->first));
    }
    plan.fine_tune_from = ref->second.value_or(0);
  }
  if (plan.through) {
    plan.through->validation_fraction = o.validation;
    plan.through->test_fraction = o.test;
    plan.through->seed = static_cast<std::uint64_t>(plan.design.seed);
    plan.through->limit = o.limit;
    plan.top_proofs = o.proofs;
  }
  plan.freeze_layers = o.freeze;
  plan.curves = o.curves;
  plan.quantize = o.quantize;
  plan.threads = o.threads;
  plan.cancel = &g_cancel;

  auto base = kb::KnowledgeBase::Open(o.db, kb::OpenMode::kCreate);
  if (!base.ok()) return Fail("", base.status());
  if (plan.fine_tune_from && *plan.fine_tune_from == 0) {
    auto latest = kb::GetModel(**base, o.model, std::nullopt, false);
    if (!latest.ok()) return Fail("--from: ", latest.status());
    plan.fine_tune_from = latest->version;
  }

  struct sigaction action {};
  action.sa_handler = OnInterrupt;
  sigemptyset(&action.sa_mask);
  struct sigaction previous {};
  sigaction(SIGINT, &action, &previous);
  const bool terminal = isatty(STDERR_FILENO) == 1;
  auto outcome = learners::TrainAndRegister(**base, plan, std::cerr, terminal);
  sigaction(SIGINT, &previous, nullptr);
  if (!outcome.ok()) {
    auto latest = kb::GetModel(**base, o.model, std::nullopt, false);
    std::string kept = latest.ok() ? " (" + o.model + "@" + std::to_string(latest->version) + " is still the latest)"
                                   : "";
    if (outcome.status().code() == StatusCode::kCancelled) {
      std::cerr << "syllo train: " << outcome.status().message() << "; nothing was stored" << kept << "\n";
      return kExitIoError;
    }
    return Fail("", Status(outcome.status().code(), outcome.status().message() + "; nothing was stored" + kept));
  }
  std::cout << "stored " << o.model << "@" << outcome->version;
  if (outcome->test_examples > 0) {
    std::cout << ": test accuracy " << std::fixed;
    std::cout.precision(4);
    std::cout << outcome->test_accuracy << " on " << outcome->test_examples << (outcome->goals ? " goals" : " examples");
  }
  std::cout.precision(2);
  std::cout << ", " << outcome->seconds_per_epoch << " s/epoch, best epoch " << outcome->result.best_epoch
            << (outcome->result.stopped_early ? " (stopped early)" : "") << "\n";
  if (outcome->goals) {
    const auto& g = *outcome->goals;
    char line[256];
    std::snprintf(line, sizeof line, "proofs: %lld %s, %lld proofs, grounded in %.1f ms; symbolic work %.3f ms per step\n",
                  static_cast<long long>(g.shapes), g.shapes == 1 ? "shape" : "shapes", static_cast<long long>(g.terms),
                  1000 * g.grounding_seconds, g.symbolic_ms_per_step);
    std::cout << line;
  }
  if (outcome->quantization) {
    const auto& q = *outcome->quantization;
    std::cout.precision(4);
    std::cout << "int8 inference: accuracy " << q.quantized_accuracy << " (float " << q.float_accuracy << "), ";
    std::cout.precision(2);
    std::cout << q.speedup() << "x the float speed; served quantised\n";
  }
  if (!o.curves.empty()) std::cout << "curves: " << o.curves << ".csv, " << o.curves << ".svg\n";
  return kExitOk;
}

}  // namespace

void AddTrainCommand(CLI::App& app, CommandContext& ctx) {
  auto o = std::make_shared<TrainOptions>();
  CLI::App* cmd = app.add_subcommand("train", "Train (or fine-tune) a model and store the version in a KB");
  cmd->add_option("model", o->model, "The model's name, as a pack's `model` declaration gives it")->required();
  cmd->add_option("packs", o->packs, "Rule files or Lua packs that declare the model");
  cmd->add_option("--design", o->design_file, "A JSON design instead of a declaration");
  cmd->add_option("--db", o->db, "The knowledge base holding the registry")->required();
  cmd->add_option("--data", o->data, "idx:DIR[/PREFIX], csv:FILE or kb:RELATION")->required();
  cmd->add_option("--label-column", o->label_column,
                  "csv/kb: the label column (default label); --through: the goal's conclusion (default its last column)");
  cmd->add_option("--through", o->through,
                  "Train through rules: --data holds labelled goals of this relation, derived by the packs' rules "
                  "from the model's labels");
  cmd->add_option("--test-data", o->test_data, "--through: held-out goals (kb:RELATION) instead of a --test fraction");
  cmd->add_option("--proofs", o->proofs, "--through: keep the K most probable proofs per goal (default 0: all, exact)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--labels", o->labels, "The labels in output order (default: the neural declaration's)")
      ->delimiter(',');
  cmd->add_option("--epochs", o->epochs, "Override the declared epochs")->check(CLI::PositiveNumber);
  cmd->add_option("--batch", o->batch, "Override the declared batch size")->check(CLI::PositiveNumber);
  cmd->add_option("--lr", o->lr, "Override the declared learning rate")->check(CLI::PositiveNumber);
  cmd->add_option("--seed", o->seed, "Override the declared seed")->check(CLI::NonNegativeNumber);
  cmd->add_option("--patience", o->patience, "Early stopping: epochs without a better validation loss (0: off)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--limit", o->limit, "Use at most N examples (of each IDX split)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--validation", o->validation, "Fraction of the training data held out for validation")
      ->check(CLI::Range(0.0, 0.9));
  cmd->add_option("--test", o->test, "csv/kb: fraction held out for the test (IDX has its own)")
      ->check(CLI::Range(0.0, 0.9));
  cmd->add_option("--from", o->from, "Fine-tune: continue from this version (N, NAME@N, or `latest`)");
  cmd->add_option("--freeze", o->freeze, "Fine-tune: keep the first N layers' weights")->check(CLI::NonNegativeNumber);
  cmd->add_option("--curves", o->curves, "Write the training curves to FILE.csv and FILE.svg");
  cmd->add_flag("--quantize", o->quantize, "Measure int8 inference on the test split and serve it");
  cmd->add_option("--threads", o->threads, "Intra-op threads (default: LibTorch's)")->check(CLI::NonNegativeNumber);
  cmd->callback([o, &ctx] {
    TrainOptions opts = *o;
    if (opts.from == "latest") opts.from = opts.model;
    ctx.exit_code = RunTrain(opts, ctx);
  });
}

}  // namespace syllo::cli
