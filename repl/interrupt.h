// Ctrl-C in the REPL. A SIGINT handler, installed without SA_RESTART so that a
// blocking read returns EINTR, records the interrupt in a flag and calls one
// registered hook. The line editor turns that into "drop the partial input";
// the REPL hooks the solver's Interrupt() so a running query stops.
//
// The handler does only async-signal-safe work: it stores to a lock-free atomic
// and calls the hook, which must itself be async-signal-safe (store an atomic,
// nothing else: no locks, no allocation, no I/O).
//
// Thread safety: the flag and the hook are atomics and may be used from any
// thread; installing and restoring the handler belong to the main thread.
#pragma once

namespace syllo::repl {

using InterruptHook = void (*)();

// Installs the SIGINT handler and remembers the previous disposition. Calling it
// again while installed does nothing.
void InstallInterruptHandler();
// Puts back the disposition InstallInterruptHandler() replaced.
void RestoreInterruptHandler();

// Registers the function the handler calls after setting the flag (nullptr: none).
void SetInterruptHook(InterruptHook hook);

// Whether a Ctrl-C came since the flag was last cleared; clears it.
bool TakeInterrupt();
// The same without clearing.
bool InterruptPending();

// Installs the handler for the lifetime of the object (a REPL run).
class InterruptHandlerScope {
 public:
  InterruptHandlerScope() { InstallInterruptHandler(); }
  ~InterruptHandlerScope() { RestoreInterruptHandler(); }
  InterruptHandlerScope(const InterruptHandlerScope&) = delete;
  InterruptHandlerScope& operator=(const InterruptHandlerScope&) = delete;
};

}  // namespace syllo::repl
