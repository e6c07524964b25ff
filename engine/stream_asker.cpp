#include "engine/stream_asker.h"

#include <sstream>

namespace syllo::engine {

namespace {

std::string Hint(const AskSpec& spec) {
  switch (spec.kind) {
    case AskKind::kYesNo: return "yes/no/unknown/why";
    case AskKind::kOneOf: {
      std::string s;
      for (const Value& c : spec.choices) s += c.ToString() + "/";
      return s + "unknown/why";
    }
    case AskKind::kNumber: {
      std::ostringstream s;
      s << "a number";
      if (spec.min && spec.max) s << " " << FormatBound(*spec.min) << ".." << FormatBound(*spec.max);
      s << "/unknown/why";
      return s.str();
    }
  }
  return "";
}

std::string Trim(const std::string& s) {
  std::size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

}  // namespace

Result<Reply> StreamAsker::Ask(const Question& question, const WhyFunction& why) {
  last_question_ = question.text;
  last_why_ = why();
  for (;;) {
    out_ << question.text << " [" << Hint(*question.spec) << "] " << std::flush;
    std::string line;
    if (!read_line_(&line)) {
      out_ << "\n";
      return Status::Cancelled("no reply to: " + question.text);
    }
    line = Trim(line);
    if (echo_) out_ << line << "\n";
    if (line == "why" || line == "why?" || line == ":why") {
      out_ << last_why_;
      continue;
    }
    if (!line.empty() && line[0] == ':') {
      // A command is not a reply: stop the consultation rather than misread
      // it, and leave the command for the caller to run.
      pending_command_ = line;
      return Status::Cancelled("the consultation stopped at " + line + "; the replies given so far are kept");
    }
    auto reply = ParseReply(*question.spec, line);
    if (reply.ok()) return reply;
    out_ << "  " << reply.status().message() << "\n";
  }
}

}  // namespace syllo::engine
