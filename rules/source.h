// SourceSet: the texts a program was read from, and positions within them.
//
// Every AST node carries a SourcePos; diagnostics and explanations turn it back
// into file:line:col and the source line.
//
// Thread safety: none while files are being added; read-only use afterwards is safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace syllo::rules {

using FileId = std::uint32_t;

// Line and column are 1-based; the column counts UTF-8 code points (an invalid
// byte counts as one), so a caret lines up under the character on a terminal.
struct SourcePos {
  FileId file = 0;
  std::uint32_t line = 0;  // 0: no position (a node made by code, not read from text)
  std::uint32_t column = 0;

  bool known() const { return line != 0; }
  friend bool operator==(const SourcePos&, const SourcePos&) = default;
};

// A piece of a generated text that was copied from another file: positions
// inside [begin, end) of the generated text are positions at `offset` onward
// in `file`.
struct SourceSegment {
  std::size_t begin = 0, end = 0;
  FileId file = 0;
  std::size_t offset = 0;
};

struct SourceFile {
  std::string path;  // as given by the user, for messages
  std::string text;
  std::vector<std::size_t> line_starts;  // byte offset where each line begins
  // A mapped file (a statement a Lua pack built from its strings) reports
  // positions in the files its pieces came from; glue text between pieces
  // reports `fallback` (the Lua call that made the statement).
  std::vector<SourceSegment> segments;
  SourcePos fallback;
  bool mapped = false;
};

class SourceSet {
 public:
  FileId Add(std::string path, std::string text);
  // A generated text whose positions map back through `segments` (sorted,
  // not overlapping) into files added before it.
  FileId AddMapped(std::string path, std::string text, std::vector<SourceSegment> segments, SourcePos fallback);
  const SourceFile& file(FileId id) const { return *files_[id]; }
  std::size_t size() const { return files_.size(); }

  // Position of a byte offset in a file (for a mapped file: in the file the
  // offset's piece came from).
  SourcePos PosAt(FileId file, std::size_t offset) const;
  // The text of line `line` (1-based) without its newline.
  std::string_view Line(FileId file, std::uint32_t line) const;
  // "path:line:col"
  std::string Describe(const SourcePos& pos) const;

 private:
  std::vector<std::unique_ptr<SourceFile>> files_;
};

}  // namespace syllo::rules
