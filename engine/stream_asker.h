// StreamAsker: asks questions on a text stream and reads the replies through a
// line reader: the REPL's line editor at a terminal, standard input in a script.
// At a question, `why` shows the reasoning and asks again; a reply that does not
// fit says what was expected and asks again; end of input, or a `:command`
// typed instead of a reply, cancels the consultation.
#pragma once

#include <functional>
#include <ostream>
#include <string>
#include <utility>

#include "engine/consultation.h"

namespace syllo::engine {

class StreamAsker final : public Asker {
 public:
  // `read_line` reads one reply; false at end of input (or an interrupt).
  StreamAsker(std::ostream& out, std::function<bool(std::string*)> read_line, bool echo_replies = false)
      : out_(out), read_line_(std::move(read_line)), echo_(echo_replies) {}

  Result<Reply> Ask(const Question& question, const WhyFunction& why) override;

  // The last question asked, and the answer `why` had for it then (for the
  // REPL's :why after the consultation moved on).
  const std::string& last_question() const { return last_question_; }
  const std::string& last_why() const { return last_why_; }
  // A `:command` typed at a question (it stopped the consultation), once.
  std::string TakePendingCommand() { return std::exchange(pending_command_, std::string()); }

 private:
  std::ostream& out_;
  std::function<bool(std::string*)> read_line_;
  bool echo_;  // print each reply after the question (input that is not a terminal is not echoed)
  std::string last_question_, last_why_, pending_command_;
};

}  // namespace syllo::engine
