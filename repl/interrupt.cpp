#include "repl/interrupt.h"

#include <atomic>
#include <csignal>

namespace syllo::repl {

namespace {

// A signal handler may only touch lock-free atomics (or volatile sig_atomic_t).
static_assert(std::atomic<bool>::is_always_lock_free);
static_assert(std::atomic<InterruptHook>::is_always_lock_free);

std::atomic<bool> interrupted{false};
std::atomic<InterruptHook> hook{nullptr};

bool installed = false;
struct sigaction previous_action;

void OnSigint(int) {
  interrupted.store(true);
  if (InterruptHook h = hook.load()) h();
}

}  // namespace

void InstallInterruptHandler() {
  if (installed) return;
  struct sigaction action {};
  action.sa_handler = OnSigint;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: a blocked read must return EINTR
  if (sigaction(SIGINT, &action, &previous_action) == 0) installed = true;
}

void RestoreInterruptHandler() {
  if (!installed) return;
  sigaction(SIGINT, &previous_action, nullptr);
  installed = false;
}

void SetInterruptHook(InterruptHook h) { hook.store(h); }

bool TakeInterrupt() { return interrupted.exchange(false); }

bool InterruptPending() { return interrupted.load(); }

}  // namespace syllo::repl
