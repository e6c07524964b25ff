// The LibTorch NeuralBackend and the module's one exported symbol. The work is
// in design_check (shapes), network (the modules), trainer, weights and
// loaded_model (inference, quantisation); this file routes calls to them and
// turns every exception into a Status.
#include <malloc.h>

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <torch/version.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "engine/neural_backend.h"
#include "learners/module/design_check.h"
#include "learners/module/loaded_model.h"
#include "learners/module/quantized_linear.h"
#include "learners/module/torch_errors.h"
#include "learners/module/trainer.h"

namespace syllo::learners {
namespace {

// BLAS as LibTorch reports it in its build configuration ("BLAS_INFO=mkl,").
std::string BlasInfo() {
  const std::string config = at::show_config();
  const std::string key = "BLAS_INFO=";
  const std::size_t at = config.find(key);
  if (at == std::string::npos) return "";
  const std::size_t end = config.find_first_of(",\n", at);
  return config.substr(at + key.size(), end == std::string::npos ? std::string::npos : end - at - key.size());
}

class TorchBackend final : public engine::NeuralBackend {
 public:
  TorchBackend() : default_threads_(at::get_num_threads()) {}

  std::string Describe() const override {
    std::string s = "LibTorch " + std::string(TORCH_VERSION) + " (threads " + std::to_string(at::get_num_threads()) +
                    ", quantized engines: " + SupportedQuantizedEngines();
    const std::string blas = BlasInfo();
    if (!blas.empty()) s += ", BLAS " + blas;
    if (at::hasMKL()) s += ", MKL";
    if (at::hasMKLDNN()) s += ", oneDNN";
    return s + ")";
  }

  void SetThreads(int threads) override {
    const int n = threads > 0 ? threads : default_threads_;
    at::set_num_threads(n);
    // The inter-op pool can be sized once, before its first use; after that
    // LibTorch throws, so only the first call (with an explicit count) sets it.
    static std::once_flag interop;
    if (threads > 0) {
      std::call_once(interop, [n] {
        try {
          at::set_num_interop_threads(n);
        } catch (const std::exception&) {
          // Already started: it keeps its size.
        }
      });
    }
  }

  void ParallelFor(std::int64_t begin, std::int64_t end, std::int64_t grain,
                   const std::function<void(std::int64_t, std::int64_t)>& body) override {
    at::parallel_for(begin, end, grain, body);
  }

  Status CheckDesign(const engine::ModelDesign& design) const override { return CheckModelDesign(design); }

  Result<engine::TrainResult> Train(const engine::TrainRequest& request) override {
    return Guard(StatusCode::kInternal, "model " + request.design.name + ": training failed",
                 [&] { return TrainModel(request); });
  }

  Result<std::unique_ptr<engine::LoadedModel>> Load(const engine::ModelDesign& design, std::string_view weights,
                                                    bool quantized) override {
    return Guard(StatusCode::kInternal, "model " + design.name + ": loading failed",
                 [&] { return OpenModel(design, weights, quantized); });
  }

 private:
  const int default_threads_;
};

}  // namespace
}  // namespace syllo::learners

extern "C" __attribute__((visibility("default"))) syllo::engine::NeuralBackend* syllo_create_neural_backend(
    int abi, const char** error) {
  // *error points here: valid until this thread's next call.
  static thread_local std::string message;
  if (abi != syllo::engine::kNeuralBackendAbi) {
    message = "the learners module implements neural backend ABI " +
              std::to_string(syllo::engine::kNeuralBackendAbi) + ", the program asks for " + std::to_string(abi);
    if (error != nullptr) *error = message.c_str();
    return nullptr;
  }
  // glibc hands each large tensor buffer its own mmap and unmaps it when
  // freed, so every forward pass faults its memory in again (measured: 1.3 ms
  // a photo against 0.15 ms). Keep buffers up to 64 MiB on the heap and do not
  // give freed memory back eagerly. Process-wide, but this module is loaded
  // only by programs that use models.
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  try {
    // A raw pointer because it crosses a C boundary; the loader owns it.
    return std::make_unique<syllo::learners::TorchBackend>().release();
  } catch (const std::exception& e) {
    message = std::string("the learners module failed to start: ") + e.what();
    if (error != nullptr) *error = message.c_str();
    return nullptr;
  }
}
