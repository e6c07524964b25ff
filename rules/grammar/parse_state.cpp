#include "rules/grammar/parse_state.h"

#include <algorithm>
#include <cstring>

#include "rules/parser.h"

namespace syllo::rules::grammar {

ParseState::ParseState(const SourceSet& sources, FileId file, Program& program)
    : sources_(sources), file_(file), text_(sources.file(file).text), program_(program) {
  cached_pos_ = SourcePos{file, 1, 1};
}

SourcePos ParseState::Pos(std::size_t offset) {
  offset = std::min(offset, text_.size());
  // A statement a Lua pack built: short, and its positions live in the pack.
  if (sources_.file(file_).mapped) return sources_.PosAt(file_, offset);
  if (offset < cached_offset_) {
    // Backwards (the grammar backtracked): cheap while on the same line.
    std::string_view back = text_.substr(offset, cached_offset_ - offset);
    if (back.find('\n') != std::string_view::npos) {
      cached_offset_ = offset;
      cached_pos_ = sources_.PosAt(file_, offset);
      return cached_pos_;
    }
    for (char c : back) {
      if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) --cached_pos_.column;
    }
    cached_offset_ = offset;
    return cached_pos_;
  }
  // Same counting as SourceSet::PosAt: a line per '\n', a column per byte that
  // is not a UTF-8 continuation byte.
  for (std::size_t i = cached_offset_; i < offset; ++i) {
    char c = text_[i];
    if (c == '\n') {
      ++cached_pos_.line;
      cached_pos_.column = 1;
    } else if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
      ++cached_pos_.column;
    }
  }
  cached_offset_ = offset;
  return cached_pos_;
}

void ParseState::NoteFailure(std::size_t offset, const char* what) {
  if (offset < furthest_) return;
  if (offset > furthest_) {
    furthest_ = offset;
    expected_.clear();
  }
  for (const char* e : expected_) {
    if (std::strcmp(e, what) == 0) return;
  }
  expected_.push_back(what);
}

void ParseState::StartStatement(std::size_t offset) {
  errors_.clear();
  furthest_ = offset;
  expected_.clear();
  depth = 0;
}

NestingGuard::NestingGuard(ParseState& state, std::size_t offset) : state_(state) {
  if (state_.depth >= kMaxNesting) throw NestingTooDeep{offset};
  ++state_.depth;
}

}  // namespace syllo::rules::grammar
