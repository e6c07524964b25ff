#include "learners/model_design.h"

#include <sstream>

#include <nlohmann/json.hpp>

namespace syllo::learners {
namespace {

using engine::ModelDesign;

std::string Where(const rules::SourcePos& pos) {
  return pos.known() ? " (line " + std::to_string(pos.line) + ":" + std::to_string(pos.column) + ")" : "";
}

double Number(const rules::Expr& e) {
  if (e.kind == rules::ExprKind::kInt) return static_cast<double>(e.int_value);
  if (e.kind == rules::ExprKind::kFloat) return e.float_value;
  if (e.kind == rules::ExprKind::kUnary && e.name == "-" && e.args.size() == 1) return -Number(e.args[0]);
  return 0;
}

std::vector<std::int64_t> Ints(const rules::Expr& e) {
  std::vector<std::int64_t> out;
  if (e.kind == rules::ExprKind::kList) {
    for (const rules::Expr& item : e.args) out.push_back(static_cast<std::int64_t>(Number(item)));
  } else {
    out.push_back(static_cast<std::int64_t>(Number(e)));
  }
  return out;
}

// The checker has already validated keys and value shapes (rules/check_declarations.cpp).
void Apply(ModelDesign& d, const rules::ModelParam& p) {
  const rules::Expr& v = p.value;
  const std::string& k = p.key;
  if (k == "input") d.input = Ints(v);
  else if (k == "hidden") d.hidden = Ints(v);
  else if (k == "channels") d.channels = Ints(v);
  else if (k == "kernel") d.kernel = Ints(v);
  else if (k == "dropout") d.dropout = Number(v);
  else if (k == "activation") d.activation = v.name;
  else if (k == "optimizer") d.optimizer = v.name;
  else if (k == "lr") d.lr = Number(v);
  else if (k == "schedule") d.schedule = v.name;
  else if (k == "batch") d.batch = static_cast<std::int64_t>(Number(v));
  else if (k == "epochs") d.epochs = static_cast<std::int64_t>(Number(v));
  else if (k == "weight_decay") d.weight_decay = Number(v);
  else if (k == "momentum") d.momentum = Number(v);
  else if (k == "seed") d.seed = static_cast<std::int64_t>(Number(v));
  else if (k == "classes") d.classes = static_cast<std::int64_t>(Number(v));
  else if (k == "layers") d.layers = static_cast<std::int64_t>(Number(v));
  else if (k == "patience") d.patience = static_cast<std::int64_t>(Number(v));
}

// The example shape a neural declaration's inputs give, laid out for the architecture.
Result<std::vector<std::int64_t>> InputShape(const rules::NeuralDecl& n, const std::string& architecture) {
  std::vector<std::int64_t> shape;
  std::int64_t numeric = 0;
  for (const rules::ColumnDecl& c : n.inputs) {
    if (c.type.kind == engine::ValueKind::kTensor) {
      if (n.inputs.size() != 1) {
        return Status::InvalidArgument("neural '" + n.name + "'" + Where(n.pos) +
                                       ": a model takes one tensor input or only numeric inputs");
      }
      shape = c.type.shape;
    } else if (c.type.kind == engine::ValueKind::kInt || c.type.kind == engine::ValueKind::kFloat) {
      ++numeric;
    } else {
      return Status::InvalidArgument("neural '" + n.name + "'" + Where(n.pos) + ": input '" + c.name + "' is " +
                                     c.type.ToString() + "; a model input must be a tensor, int or float");
    }
  }
  if (shape.empty()) return std::vector<std::int64_t>{numeric};
  std::int64_t elements = 1;
  for (std::int64_t d : shape) elements *= d;
  if (architecture == "mlp") return std::vector<std::int64_t>{elements};
  if (architecture == "cnn" && shape.size() == 2) return std::vector<std::int64_t>{1, shape[0], shape[1]};
  return shape;
}

}  // namespace

Result<ModelDesign> DesignFromProgram(const rules::Program& program, const std::string& name,
                                      std::vector<std::string>* labels) {
  const rules::ModelDecl* decl = nullptr;
  for (const rules::ModelDecl& m : program.models) {
    if (m.name == name) decl = &m;
  }
  if (decl == nullptr) {
    std::string known;
    for (const rules::ModelDecl& m : program.models) known += (known.empty() ? "" : ", ") + m.name;
    return Status::NotFound("no model '" + name + "' is declared" +
                            (known.empty() ? std::string(" (the program declares no model)")
                                           : " (declared: " + known + ")"));
  }
  ModelDesign d;
  d.name = name;
  d.architecture = decl->architecture;
  for (const rules::ModelParam& p : decl->params) Apply(d, p);
  const rules::NeuralDecl* user = nullptr;
  for (const rules::NeuralDecl& n : program.neurals) {
    if (n.model == name && (user == nullptr || n.labels.size() > user->labels.size())) user = &n;
  }
  labels->clear();
  if (user != nullptr) {
    for (const rules::Expr& l : user->labels) {
      labels->push_back(l.kind == rules::ExprKind::kInt ? std::to_string(l.int_value) : l.name);
    }
    if (d.input.empty()) {
      auto shape = InputShape(*user, d.architecture);
      if (!shape.ok()) return shape.status();
      d.input = *shape;
    }
    if (d.classes == 0) d.classes = static_cast<std::int64_t>(labels->size());
  }
  if (d.input.empty()) {
    return Status::InvalidArgument("model '" + name + "'" + Where(decl->pos) +
                                   ": its input shape is unknown: give `input = [...]` or declare a neural "
                                   "predicate that uses it");
  }
  if (d.classes == 0) {
    return Status::InvalidArgument("model '" + name + "'" + Where(decl->pos) +
                                   ": its classes are unknown: give `classes = N` or declare a neural predicate "
                                   "that uses it");
  }
  if (!labels->empty() && static_cast<std::int64_t>(labels->size()) != d.classes) {
    return Status::InvalidArgument("model '" + name + "'" + Where(decl->pos) + " has classes = " +
                                   std::to_string(d.classes) + " but neural '" + user->name + "' declares " +
                                   std::to_string(labels->size()) + " labels");
  }
  if (labels->empty()) {
    for (std::int64_t i = 0; i < d.classes; ++i) labels->push_back(std::to_string(i));
  }
  return d;
}

std::string DesignToJson(const ModelDesign& d) {
  nlohmann::json j = {
      {"name", d.name},         {"architecture", d.architecture}, {"input", d.input},
      {"classes", d.classes},   {"hidden", d.hidden},             {"channels", d.channels},
      {"kernel", d.kernel},     {"layers", d.layers},             {"dropout", d.dropout},
      {"activation", d.activation}, {"optimizer", d.optimizer},   {"lr", d.lr},
      {"schedule", d.schedule}, {"batch", d.batch},               {"epochs", d.epochs},
      {"weight_decay", d.weight_decay}, {"momentum", d.momentum}, {"patience", d.patience},
      {"seed", d.seed},
  };
  return j.dump();
}

Result<ModelDesign> DesignFromJson(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::InvalidArgument("a model design must be a JSON object");
  ModelDesign d;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    const nlohmann::json& v = it.value();
    auto wrong = [&](const char* what) {
      return Status::InvalidArgument("model design: '" + k + "' must be " + what + ", got " + v.dump());
    };
    auto ints = [&](std::vector<std::int64_t>& out) -> Status {
      if (v.is_number_integer()) {
        out = {v.get<std::int64_t>()};
      } else if (v.is_array() && std::all_of(v.begin(), v.end(), [](const auto& x) { return x.is_number_integer(); })) {
        out = v.get<std::vector<std::int64_t>>();
      } else {
        return wrong("an int or a list of ints");
      }
      return Status();
    };
    Status st;
    if (k == "name" || k == "architecture" || k == "activation" || k == "optimizer" || k == "schedule") {
      if (!v.is_string()) return wrong("a string");
      std::string s = v.get<std::string>();
      (k == "name" ? d.name : k == "architecture" ? d.architecture : k == "activation" ? d.activation
                              : k == "optimizer"  ? d.optimizer : d.schedule) = s;
    } else if (k == "input") {
      st = ints(d.input);
    } else if (k == "hidden") {
      st = ints(d.hidden);
    } else if (k == "channels") {
      st = ints(d.channels);
    } else if (k == "kernel") {
      st = ints(d.kernel);
    } else if (k == "classes" || k == "layers" || k == "batch" || k == "epochs" || k == "patience" || k == "seed") {
      if (!v.is_number_integer()) return wrong("an int");
      std::int64_t n = v.get<std::int64_t>();
      (k == "classes" ? d.classes : k == "layers" ? d.layers : k == "batch" ? d.batch
                                  : k == "epochs" ? d.epochs : k == "patience" ? d.patience : d.seed) = n;
    } else if (k == "dropout" || k == "lr" || k == "weight_decay" || k == "momentum") {
      if (!v.is_number()) return wrong("a number");
      double x = v.get<double>();
      (k == "dropout" ? d.dropout : k == "lr" ? d.lr : k == "weight_decay" ? d.weight_decay : d.momentum) = x;
    } else {
      return Status::InvalidArgument("model design: unknown key '" + k + "'");
    }
    if (!st.ok()) return st;
  }
  static const std::vector<std::string> kArchitectures = {"mlp", "cnn", "gru", "lstm"};
  if (std::find(kArchitectures.begin(), kArchitectures.end(), d.architecture) == kArchitectures.end()) {
    return Status::InvalidArgument("model design: unknown architecture '" + d.architecture +
                                   "' (expected mlp, cnn, gru or lstm)");
  }
  return d;
}

std::string DescribeDesign(const ModelDesign& d) {
  auto join = [](const std::vector<std::int64_t>& v, const char* sep) {
    std::string s;
    for (std::int64_t x : v) s += (s.empty() ? "" : sep) + std::to_string(x);
    return s;
  };
  std::ostringstream out;
  out << d.architecture << ": input " << join(d.input, "x");
  if (d.architecture == "cnn") out << ", channels " << join(d.channels, ",") << ", kernel " << join(d.kernel, ",");
  if (d.architecture == "gru" || d.architecture == "lstm") out << ", layers " << d.layers;
  out << ", hidden " << join(d.hidden, ",") << ", " << d.classes << " classes, " << d.optimizer << " lr " << d.lr
      << ", batch " << d.batch << ", " << d.epochs << (d.epochs == 1 ? " epoch" : " epochs");
  return out.str();
}

}  // namespace syllo::learners
