#include "engine/neural_backend_loader.h"

#include <dlfcn.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include "engine/module_search.h"

namespace syllo::engine {
namespace {

constexpr const char* kModuleFile = "libsyllo_learners.so";

Result<NeuralBackend*> Open(const std::string& path) {
  // LibTorch runs its own intra-op threads (OpenMP); OpenBLAS starting its
  // pthreads inside each of them would put four busy threads on two cores
  // (measured: 3.5 ms a photo one at a time, 0.43 ms with one BLAS thread).
  // OpenBLAS reads this when it is loaded, with LibTorch, just below.
  setenv("OPENBLAS_NUM_THREADS", "1", /*overwrite=*/0);
  // RTLD_LOCAL: LibTorch's symbols stay private to the module.
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    return Status::NotFound("cannot load the learners module " + path + ": " + (why ? why : "unknown error") +
                            " (models need LibTorch: apt-get install libtorch-dev, then rebuild)");
  }
  auto create = reinterpret_cast<SylloCreateNeuralBackendFn>(dlsym(handle, kSylloCreateNeuralBackendSymbol));
  if (create == nullptr) {
    return Status::Internal("the learners module " + path + " has no " + kSylloCreateNeuralBackendSymbol);
  }
  const char* error = nullptr;
  NeuralBackend* backend = create(kNeuralBackendAbi, &error);
  if (backend == nullptr) {
    return Status::Internal("the learners module " + path + " refused to start: " +
                            (error ? error : "unknown error") + " (a stale build? rebuild syllo)");
  }
  // LibTorch starts with one intra-op thread here; use the machine unless
  // SYLLO_THREADS says otherwise (`syllo train --threads` overrides both).
  int threads = static_cast<int>(std::thread::hardware_concurrency());
  if (const char* env = std::getenv("SYLLO_THREADS"); env != nullptr && std::atoi(env) > 0) threads = std::atoi(env);
  if (threads > 0) backend->SetThreads(threads);
  // The handle is never closed: the backend lives until exit, and unloading
  // LibTorch at exit would race its own static destructors.
  return backend;
}

struct LoaderState {
  std::once_flag once;
  Result<NeuralBackend*> result = Status::Internal("the learners module was not loaded");
  std::atomic<bool> loaded{false};
};

LoaderState& State() {
  static LoaderState* state = new LoaderState();  // never destroyed: see Open
  return *state;
}

Result<NeuralBackend*> Find() {
  if (const char* env = std::getenv("SYLLO_LEARNERS_MODULE"); env != nullptr && *env != '\0') {
    return Open(env);
  }
  std::vector<std::filesystem::path> candidates =
      ModuleCandidates(kModuleFile, SYLLO_LEARNERS_INSTALL_DIR, SYLLO_LEARNERS_BUILD_DIR);
  std::string tried;
  for (const auto& path : candidates) {
    std::error_code ec;
    if (std::filesystem::exists(path, ec)) return Open(std::filesystem::weakly_canonical(path, ec).string());
    if (!tried.empty()) tried += ", ";
    tried += path.lexically_normal().string();
  }
  return Status::NotFound("the learners module " + std::string(kModuleFile) +
                          " is not installed (looked in " + tried +
                          "; models need LibTorch: apt-get install libtorch-dev, then rebuild; or set "
                          "SYLLO_LEARNERS_MODULE)");
}

}  // namespace

Result<NeuralBackend*> LoadNeuralBackend() {
  LoaderState& state = State();
  std::call_once(state.once, [&] {
    state.result = Find();
    state.loaded.store(state.result.ok());
  });
  return state.result;
}

bool NeuralBackendLoaded() { return State().loaded.load(); }

}  // namespace syllo::engine
