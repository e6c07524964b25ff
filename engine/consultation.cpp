#include "engine/consultation.h"

#include <cctype>
#include <charconv>
#include <sstream>

namespace syllo::engine {

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool ParseNumber(std::string_view text, double* out) {
  if (text.empty()) return false;
  std::string copy(text);
  char* end = nullptr;
  *out = std::strtod(copy.c_str(), &end);
  return end == copy.c_str() + copy.size();
}

}  // namespace

std::string FormatBound(double v) {
  if (v == static_cast<double>(static_cast<long long>(v))) return std::to_string(static_cast<long long>(v));
  std::ostringstream s;
  s << v;
  return s.str();
}

Result<Reply> ParseReply(const AskSpec& spec, std::string_view text) {
  std::istringstream in{std::string(text)};
  std::string word, cf_text, extra;
  in >> word >> cf_text >> extra;
  if (word.empty()) return Status::InvalidArgument("an empty reply");
  if (!extra.empty()) return Status::InvalidArgument("too many words in the reply '" + std::string(text) + "'");
  Reply reply;
  if (!cf_text.empty()) {
    double cf = 0;
    if (!ParseNumber(cf_text, &cf) || cf < 0 || cf > 1) {
      return Status::InvalidArgument("the certainty '" + cf_text + "' is not a number between 0 and 1");
    }
    reply.certainty = cf;
  }
  const std::string w = Lower(word);
  if (w == "unknown" || w == "?" || w == "u") {
    reply.kind = Reply::Kind::kUnknown;
    return reply;
  }
  switch (spec.kind) {
    case AskKind::kYesNo:
      if (w == "yes" || w == "y") {
        reply.kind = Reply::Kind::kYes;
        return reply;
      }
      if (w == "no" || w == "n") {
        reply.kind = Reply::Kind::kNo;
        return reply;
      }
      return Status::InvalidArgument("expected yes, no or unknown (optionally followed by a certainty), not '" +
                                     word + "'");
    case AskKind::kOneOf: {
      std::string options;
      for (const Value& c : spec.choices) {
        if (c.ToString() == word || (c.kind() == ValueKind::kSymbol && Lower(c.text()) == w)) {
          reply.kind = Reply::Kind::kValue;
          reply.value = c;
          return reply;
        }
        options += (options.empty() ? "" : ", ") + c.ToString();
      }
      return Status::InvalidArgument("expected one of " + options + " or unknown, not '" + word + "'");
    }
    case AskKind::kNumber: {
      double v = 0;
      if (!ParseNumber(word, &v)) return Status::InvalidArgument("expected a number or unknown, not '" + word + "'");
      if ((spec.min && v < *spec.min) || (spec.max && v > *spec.max)) {
        std::ostringstream m;
        m << "expected a number";
        if (spec.min && spec.max) m << " between " << FormatBound(*spec.min) << " and " << FormatBound(*spec.max);
        else if (spec.min) m << " of at least " << FormatBound(*spec.min);
        else m << " of at most " << FormatBound(*spec.max);
        m << ", not " << word;
        return Status::InvalidArgument(m.str());
      }
      reply.kind = Reply::Kind::kValue;
      std::int64_t i = 0;
      auto [p, ec] = std::from_chars(word.data(), word.data() + word.size(), i);
      reply.value = (ec == std::errc() && p == word.data() + word.size()) ? Value::Int(i) : Value::Float(v);
      return reply;
    }
  }
  return Status::Internal("unknown question kind");
}

}  // namespace syllo::engine
