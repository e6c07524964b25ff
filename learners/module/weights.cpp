#include "learners/module/weights.h"

#include <set>
#include <sstream>

#include "learners/module/torch_errors.h"

namespace syllo::learners {
namespace {

constexpr const char* kArchitectureKey = "syllo_architecture";

// Archive keys are attribute names of a TorchScript object: no dots.
std::string ArchiveKey(const std::string& name) {
  std::string key = name;
  for (char& c : key) {
    if (c == '.') c = '/';
  }
  return key;
}

std::string ShapeString(c10::IntArrayRef sizes) {
  std::string s = "[";
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(sizes[i]);
  }
  return s + "]";
}

// Parameters then buffers, with their module paths ("fc0.weight").
std::vector<std::pair<std::string, torch::Tensor>> NamedTensors(const NetworkImpl& network) {
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  for (const auto& p : network.named_parameters()) tensors.emplace_back(p.key(), p.value());
  for (const auto& b : network.named_buffers()) tensors.emplace_back(b.key(), b.value());
  return tensors;
}

Status Mismatch(const engine::ModelDesign& design, const std::string& detail) {
  return Status::Corruption("the weights of model " + design.name + " do not match its design: " + detail);
}

}  // namespace

std::string SaveWeights(const engine::ModelDesign& design, const NetworkImpl& network) {
  torch::serialize::OutputArchive archive;
  archive.write(kArchitectureKey, c10::IValue(design.architecture));
  for (const auto& [name, tensor] : NamedTensors(network)) {
    archive.write(ArchiveKey(name), tensor.detach());
  }
  std::ostringstream out;
  archive.save_to(out);
  return std::move(out).str();
}

namespace {

Status ReadWeights(const engine::ModelDesign& design, std::string_view weights, NetworkImpl& network) {
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(weights.data(), weights.size());
  } catch (const c10::Error& e) {
    return Mismatch(design, "not a weights archive (" + TorchMessage(e) + ")");
  }
  c10::IValue architecture;
  if (!archive.try_read(kArchitectureKey, architecture) || !architecture.isString()) {
    return Mismatch(design, "the archive does not say which architecture it holds");
  }
  if (architecture.toStringRef() != design.architecture) {
    return Mismatch(design, "they are of a " + architecture.toStringRef() + ", the design is a " + design.architecture);
  }
  // "training" is the TorchScript object's own attribute, in every archive.
  std::set<std::string> expected = {kArchitectureKey, "training"};
  torch::NoGradGuard no_grad;
  for (const auto& [name, tensor] : NamedTensors(network)) {
    const std::string key = ArchiveKey(name);
    expected.insert(key);
    torch::Tensor stored;
    if (!archive.try_read(key, stored)) return Mismatch(design, "no tensor " + name);
    if (stored.sizes() != tensor.sizes()) {
      return Mismatch(design, name + " has shape " + ShapeString(stored.sizes()) + ", the design needs " +
                                  ShapeString(tensor.sizes()));
    }
    if (stored.scalar_type() != tensor.scalar_type()) {
      return Mismatch(design, name + " is of type " + std::string(c10::toString(stored.scalar_type())) +
                                  ", not " + c10::toString(tensor.scalar_type()));
    }
    tensor.copy_(stored);
  }
  for (const std::string& key : archive.keys()) {
    if (!expected.count(key)) return Mismatch(design, "the design has no tensor " + key);
  }
  return Status::Ok();
}

}  // namespace

Status LoadWeights(const engine::ModelDesign& design, std::string_view weights, NetworkImpl& network) {
  // Whatever LibTorch throws on a malformed archive is the blob's fault.
  return Guard(StatusCode::kCorruption, "the weights of model " + design.name + " do not match its design",
               [&] { return ReadWeights(design, weights, network); });
}

}  // namespace syllo::learners
