#include "rules/source.h"

#include <algorithm>

namespace syllo::rules {

FileId SourceSet::Add(std::string path, std::string text) {
  auto file = std::make_unique<SourceFile>();
  file->path = std::move(path);
  file->text = std::move(text);
  file->line_starts.push_back(0);
  for (std::size_t i = 0; i < file->text.size(); ++i) {
    if (file->text[i] == '\n') file->line_starts.push_back(i + 1);
  }
  files_.push_back(std::move(file));
  return static_cast<FileId>(files_.size() - 1);
}

FileId SourceSet::AddMapped(std::string path, std::string text, std::vector<SourceSegment> segments,
                           SourcePos fallback) {
  FileId id = Add(std::move(path), std::move(text));
  SourceFile& f = *files_[id];
  f.segments = std::move(segments);
  f.fallback = fallback;
  f.mapped = true;
  return id;
}

SourcePos SourceSet::PosAt(FileId id, std::size_t offset) const {
  const SourceFile& f = *files_[id];
  if (f.mapped) {
    // The piece holding the offset; its end counts too (an error at the end
    // of a piece points just past it).
    for (const SourceSegment& seg : f.segments) {
      if (offset >= seg.begin && offset <= seg.end && seg.file != id) {
        return PosAt(seg.file, seg.offset + (offset - seg.begin));
      }
    }
    return f.fallback;
  }
  offset = std::min(offset, f.text.size());
  auto it = std::upper_bound(f.line_starts.begin(), f.line_starts.end(), offset);
  std::size_t line_index = static_cast<std::size_t>(it - f.line_starts.begin()) - 1;
  std::size_t start = f.line_starts[line_index];
  // Count code points: every byte that is not a UTF-8 continuation byte starts one.
  std::uint32_t column = 1;
  for (std::size_t i = start; i < offset; ++i) {
    auto c = static_cast<unsigned char>(f.text[i]);
    if ((c & 0xC0) != 0x80) ++column;
  }
  return SourcePos{id, static_cast<std::uint32_t>(line_index + 1), column};
}

std::string_view SourceSet::Line(FileId id, std::uint32_t line) const {
  const SourceFile& f = *files_[id];
  if (line == 0 || line > f.line_starts.size()) return {};
  std::size_t start = f.line_starts[line - 1];
  std::size_t end = line < f.line_starts.size() ? f.line_starts[line] - 1 : f.text.size();
  std::string_view text(f.text);
  std::string_view l = text.substr(start, end - start);
  if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
  return l;
}

std::string SourceSet::Describe(const SourcePos& pos) const {
  if (pos.file >= files_.size()) return "<unknown>";
  const SourceFile& f = *files_[pos.file];
  if (!pos.known()) return f.path;
  return f.path + ":" + std::to_string(pos.line) + ":" + std::to_string(pos.column);
}

}  // namespace syllo::rules
