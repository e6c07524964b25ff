// Where LibTorch's exceptions stop: every NeuralBackend and LoadedModel entry
// point runs its body through Guard, so a c10::Error (or any std::exception)
// becomes a Status and never unwinds into the host.
//
// Thread safety: stateless.
#pragma once

#include <exception>
#include <string>
#include <utility>

#include <c10/util/Exception.h>

#include "syllo/status.h"

namespace syllo::learners {

// LibTorch's message without the C++ backtrace it appends.
inline std::string TorchMessage(const c10::Error& e) { return e.what_without_backtrace(); }

// Runs `body` (returning a Status or a Result) and converts an exception into
// Status(code, context + ": " + what).
template <typename Body>
auto Guard(StatusCode code, const std::string& context, Body&& body) -> decltype(body()) {
  try {
    return std::forward<Body>(body)();
  } catch (const c10::Error& e) {
    return Status(code, context + ": " + TorchMessage(e));
  } catch (const std::exception& e) {
    return Status(code, context + ": " + e.what());
  } catch (...) {
    return Status(code, context + ": unknown exception");
  }
}

}  // namespace syllo::learners
