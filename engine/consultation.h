// The user's side of a consultation: the questions the solver asks when a goal
// matches an `ask` declaration and nothing derives it, and the replies.
//
// Thread safety: the solver calls its Asker from its own thread.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "engine/program.h"
#include "engine/value.h"
#include "syllo/status.h"

namespace syllo::engine {

struct Question {
  const AskSpec* spec = nullptr;
  std::string text;         // the question with {Var} filled in
  std::vector<Value> key;   // the arguments that identify it (see AskSpec::key_arity)
  std::string goal;         // the goal being asked, as text: "cranks(my_car)"
};

struct Reply {
  enum class Kind { kYes, kNo, kValue, kUnknown } kind = Kind::kUnknown;
  Value value;              // kValue: the answer for one_of / number
  double certainty = 1.0;   // how sure the user is, where the semantics has certainties
};

// What the user can ask back at a question: `why` (the rule being tried, the
// goal stack, what is known). Valid only during Asker::Ask.
using WhyFunction = std::function<std::string()>;

class Asker {
 public:
  virtual ~Asker() = default;
  // kCancelled stops the consultation (end of input, Ctrl-C); the solver then
  // reports the goal as interrupted.
  virtual Result<Reply> Ask(const Question& question, const WhyFunction& why) = 0;
};

// Parses a reply typed at a question: yes/no/y/n, unknown/?, a symbol of the
// choices, a number in range, each optionally followed by a certainty
// ("yes 0.7", "no 0.4" = -0.4 under MYCIN). The error says what was expected.
Result<Reply> ParseReply(const AskSpec& spec, std::string_view text);

// A bound of a number question as a program writes it: 1000000, not 1e+06.
std::string FormatBound(double v);

}  // namespace syllo::engine
