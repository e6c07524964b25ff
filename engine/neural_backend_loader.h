// Loads the learners module (libsyllo_learners.so, LibTorch inside) with dlopen,
// once per process, the first time something needs a model. Until then no
// LibTorch library is mapped.
//
// Where it looks, first hit wins:
//   $SYLLO_LEARNERS_MODULE                        (a path; set and wrong is an error)
//   <dir of the executable>/../lib/syllo/         (an installed syllo)
//   the install prefix's lib/syllo/               (compiled in)
//   the build tree's learners/module/             (compiled in, for tests and `make run`)
// A module that is missing, fails to load (say LibTorch is not installed), or
// is of another ABI version is a clear error naming the path and the reason,
// returned every time it is asked for again.
//
// The backend starts with as many intra-op threads as the machine has cores
// ($SYLLO_THREADS overrides).
//
// Thread safety: LoadNeuralBackend may be called from any thread.
#pragma once

#include <string>

#include "engine/neural_backend.h"
#include "syllo/status.h"

namespace syllo::engine {

// The process's backend (owned by the loader, lives until exit).
Result<NeuralBackend*> LoadNeuralBackend();

// Whether the module has been loaded in this process (for tests and stats).
bool NeuralBackendLoaded();

}  // namespace syllo::engine
