// Ctrl-C: the SIGINT handler sets the flag and calls the hook.
#include "repl/interrupt.h"

#include <gtest/gtest.h>

#include <atomic>
#include <csignal>

namespace syllo::repl {
namespace {

std::atomic<int> hook_calls{0};
void CountCall() { hook_calls.fetch_add(1); }

TEST(Interrupt, TheHandlerSetsTheFlagAndCallsTheHook) {
  InterruptHandlerScope handler;
  TakeInterrupt();
  SetInterruptHook(&CountCall);
  hook_calls = 0;
  ASSERT_EQ(std::raise(SIGINT), 0);  // would end the test binary without the handler
  EXPECT_EQ(hook_calls.load(), 1);
  EXPECT_TRUE(InterruptPending());
  EXPECT_TRUE(TakeInterrupt());
  EXPECT_FALSE(TakeInterrupt());
  EXPECT_FALSE(InterruptPending());
  SetInterruptHook(nullptr);
  ASSERT_EQ(std::raise(SIGINT), 0);
  EXPECT_EQ(hook_calls.load(), 1);
  EXPECT_TRUE(TakeInterrupt());
}

TEST(Interrupt, RestoringPutsBackThePreviousHandler) {
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  struct sigaction before {};
  ASSERT_EQ(sigaction(SIGINT, &ignore, &before), 0);
  InstallInterruptHandler();
  InstallInterruptHandler();  // a second call changes nothing
  RestoreInterruptHandler();
  struct sigaction now {};
  ASSERT_EQ(sigaction(SIGINT, nullptr, &now), 0);
  EXPECT_EQ(now.sa_handler, SIG_IGN);
  sigaction(SIGINT, &before, nullptr);
}

}  // namespace
}  // namespace syllo::repl
