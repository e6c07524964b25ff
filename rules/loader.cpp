// Loading: each file is read once (keyed on its canonical path), parsed, and
// its imports loaded depth first. The chain of files being loaded is kept so an
// import back into it is reported as a cycle instead of recursing.
#include "rules/loader.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>

#include "rules/parser.h"

namespace syllo::rules {

namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxFileBytes = std::size_t{64} << 20;
// Import chains are walked recursively; a bound keeps that recursion shallow.
constexpr std::size_t kMaxImportDepth = 256;

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

// Reads a regular file of at most kMaxFileBytes. On failure returns nullopt and
// sets *error to the reason (without the path).
std::optional<std::string> ReadFile(const std::string& path, std::string* error) {
  std::error_code ec;
  // Devices and pipes could block or never end: only regular files are read.
  fs::file_status status = fs::status(path, ec);
  if (!ec && fs::exists(status) && !fs::is_regular_file(status)) {
    *error = fs::is_directory(status) ? "is a directory" : "not a regular file";
    return std::nullopt;
  }
  errno = 0;
  std::unique_ptr<std::FILE, FileCloser> f(std::fopen(path.c_str(), "rb"));
  if (!f) {
    *error = std::strerror(errno != 0 ? errno : ENOENT);
    return std::nullopt;
  }
  std::string text;
  char buf[1 << 16];
  while (true) {
    std::size_t n = std::fread(buf, 1, sizeof buf, f.get());
    text.append(buf, n);
    if (text.size() > kMaxFileBytes) {
      *error = "file is larger than 64 MiB";
      return std::nullopt;
    }
    if (n < sizeof buf) break;
  }
  if (std::ferror(f.get())) {
    *error = std::strerror(errno != 0 ? errno : EIO);
    return std::nullopt;
  }
  return text;
}

// The key a file is known by: its canonical path when it exists, else its
// absolute, lexically normal path.
std::string FileKey(const std::string& path) {
  std::error_code ec;
  fs::path canonical = fs::weakly_canonical(fs::path(path), ec);
  if (!ec) return canonical.string();
  fs::path absolute = fs::absolute(fs::path(path), ec);
  return (ec ? fs::path(path) : absolute).lexically_normal().string();
}

class Loader {
 public:
  explicit Loader(LoadedProgram& out) : out_(out) {}

  void LoadTopLevel(const std::string& path) {
    std::string key = FileKey(path);
    if (loaded_.count(key)) return;
    std::string error;
    std::optional<std::string> text = ReadFile(path, &error);
    if (!text) {
      // No statement to point at: the diagnostic names the file alone.
      FileId id = out_.sources.Add(path, "");
      out_.diagnostics.Error(SourcePos{id, 0, 0}, "cannot read file: " + error);
      return;
    }
    LoadFile(path, key, std::move(*text));
  }

  void LoadFile(const std::string& path, const std::string& key, std::string text) {
    loaded_.insert(key);
    FileId id = out_.sources.Add(path, std::move(text));
    Program program;
    Parse(out_.sources, id, program, out_.diagnostics);
    std::vector<Import> imports = program.imports;
    out_.program.Append(std::move(program));

    chain_.push_back({key, path});
    for (const Import& import : imports) LoadImport(path, import);
    chain_.pop_back();
  }

 private:
  struct Link {
    std::string key;
    std::string path;
  };

  void LoadImport(const std::string& importer, const Import& import) {
    // Plain lexical join: "dir/a.syl" + "../c.syl" is "dir/../c.syl".
    std::string path = (fs::path(importer).parent_path() / fs::path(import.path)).string();
    std::string key = FileKey(path);
    for (std::size_t i = 0; i < chain_.size(); ++i) {
      if (chain_[i].key != key) continue;
      std::string cycle;
      for (std::size_t j = i; j < chain_.size(); ++j) cycle += chain_[j].path + " -> ";
      out_.diagnostics.Error(import.pos, "import cycle: " + cycle + path);
      return;
    }
    if (loaded_.count(key)) return;
    if (chain_.size() >= kMaxImportDepth) {
      out_.diagnostics.Error(import.pos, "imports nested deeper than " + std::to_string(kMaxImportDepth));
      return;
    }
    std::string error;
    std::optional<std::string> text = ReadFile(path, &error);
    if (!text) {
      out_.diagnostics.Error(import.pos, "cannot read imported file '" + path + "': " + error);
      return;
    }
    LoadFile(path, key, std::move(*text));
  }

  LoadedProgram& out_;
  std::set<std::string>& loaded_ = out_.files;
  std::vector<Link> chain_;
};

}  // namespace

void LoadFiles(const std::vector<std::string>& paths, LoadedProgram& out) {
  Loader loader(out);
  for (const std::string& path : paths) loader.LoadTopLevel(path);
}

void LoadText(const std::string& name, std::string text, LoadedProgram& out) {
  Loader loader(out);
  if (text.size() > kMaxFileBytes) {
    FileId id = out.sources.Add(name, "");
    out.diagnostics.Error(SourcePos{id, 0, 0}, "file is larger than 64 MiB");
    return;
  }
  loader.LoadFile(name, FileKey(name), std::move(text));
}

}  // namespace syllo::rules
