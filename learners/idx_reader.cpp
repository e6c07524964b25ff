// IDX files (the MNIST layout): a big-endian header, then unsigned bytes.
//
//   images  0x00000803  count  rows  cols   then count * rows * cols pixels
//   labels  0x00000801  count               then count labels
//
// Both are read through zlib's gzread, which passes a file that is not gzip
// through unchanged, so `.gz` and plain files take the same path.
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "learners/dataset.h"

namespace syllo::learners {

namespace {

constexpr std::uint32_t kImagesMagic = 0x00000803;  // unsigned bytes, 3 dimensions
constexpr std::uint32_t kLabelsMagic = 0x00000801;  // unsigned bytes, 1 dimension
// A dimension beyond this is a corrupt header, not a real image: it would only
// make us allocate gigabytes before finding the file too short.
constexpr std::uint32_t kMaxSide = 1 << 14;

std::string Hex32(std::uint32_t v) {
  static const char* kDigits = "0123456789abcdef";
  std::string s = "0x";
  for (int shift = 28; shift >= 0; shift -= 4) s += kDigits[(v >> shift) & 0xf];
  return s;
}

// A file opened with gzopen; reads fail with a Status naming the file.
class IdxFile {
 public:
  static Result<std::unique_ptr<IdxFile>> Open(const std::string& path) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) return Status::NotFound(path + ": no such file");
    gzFile f = gzopen(path.c_str(), "rb");
    if (f == nullptr) return Status::IoError(path + ": cannot be opened");
    return std::make_unique<IdxFile>(path, f);
  }
  // Takes ownership of `f`.
  IdxFile(std::string path, gzFile f) : path_(std::move(path)), file_(f) {}
  ~IdxFile() { gzclose(file_); }
  IdxFile(const IdxFile&) = delete;
  IdxFile& operator=(const IdxFile&) = delete;

  const std::string& path() const { return path_; }

  // Reads exactly `n` bytes; `what` says what they were for a truncated file.
  Status ReadExact(unsigned char* out, std::size_t n, const std::string& what) {
    std::size_t done = 0;
    while (done < n) {
      const unsigned chunk = static_cast<unsigned>(std::min<std::size_t>(n - done, 1u << 24));
      const int got = gzread(file_, out + done, chunk);
      if (got < 0) {
        int code = 0;
        const char* message = gzerror(file_, &code);
        return Status::Corruption(path_ + ": corrupt gzip data (" + (message ? message : "unknown error") + ")");
      }
      if (got == 0) {
        return Status::Corruption(path_ + ": truncated: the file ends in " + what);
      }
      done += static_cast<std::size_t>(got);
    }
    return Status::Ok();
  }

  Result<std::uint32_t> ReadBigEndian32(const std::string& what) {
    unsigned char b[4];
    if (Status s = ReadExact(b, 4, what); !s.ok()) return s;
    return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) | b[3];
  }

  // Whether anything follows what has been read.
  bool AtEnd() {
    unsigned char b;
    return gzread(file_, &b, 1) == 0;
  }

 private:
  std::string path_;
  gzFile file_;
};

Status CheckMagic(const IdxFile& f, std::uint32_t magic, std::uint32_t expected, const char* kind) {
  if (magic == expected) return Status::Ok();
  return Status::Corruption(f.path() + ": wrong magic number " + Hex32(magic) + " (an IDX " + kind +
                            " file starts with " + Hex32(expected) + ")");
}

}  // namespace

Result<Dataset> ReadIdx(const std::string& images_path, const std::string& labels_path,
                        const std::vector<std::string>& label_names, std::int64_t limit) {
  Result<std::unique_ptr<IdxFile>> images = IdxFile::Open(images_path);
  if (!images.ok()) return images.status();
  Result<std::unique_ptr<IdxFile>> labels = IdxFile::Open(labels_path);
  if (!labels.ok()) return labels.status();
  IdxFile& img = **images;
  IdxFile& lab = **labels;

  // Headers.
  Result<std::uint32_t> magic = img.ReadBigEndian32("the header");
  if (!magic.ok()) return magic.status();
  if (Status s = CheckMagic(img, *magic, kImagesMagic, "images"); !s.ok()) return s;
  std::uint32_t dims[3];
  for (std::uint32_t& d : dims) {
    Result<std::uint32_t> v = img.ReadBigEndian32("the header");
    if (!v.ok()) return v.status();
    d = *v;
  }
  const std::uint32_t image_count = dims[0], rows = dims[1], cols = dims[2];
  if (rows == 0 || cols == 0 || rows > kMaxSide || cols > kMaxSide) {
    return Status::Corruption(img.path() + ": the header declares images of " + std::to_string(rows) + "x" +
                              std::to_string(cols) + " pixels");
  }
  magic = lab.ReadBigEndian32("the header");
  if (!magic.ok()) return magic.status();
  if (Status s = CheckMagic(lab, *magic, kLabelsMagic, "labels"); !s.ok()) return s;
  Result<std::uint32_t> label_count = lab.ReadBigEndian32("the header");
  if (!label_count.ok()) return label_count.status();
  if (*label_count != image_count) {
    return Status::Corruption(img.path() + " holds " + std::to_string(image_count) + " images but " + lab.path() +
                              " holds " + std::to_string(*label_count) + " labels");
  }

  Dataset ds;
  if (label_names.empty()) {
    for (int i = 0; i < 10; ++i) ds.label_names.push_back(std::to_string(i));
  } else {
    ds.label_names = label_names;
  }
  const std::int64_t count = limit > 0 ? std::min<std::int64_t>(limit, image_count) : image_count;
  const std::int64_t example_size = std::int64_t{rows} * cols;
  ds.examples.example_shape = {1, rows, cols};

  // Labels first: they are small, and a bad one is found before reading megabytes.
  std::vector<unsigned char> bytes(static_cast<std::size_t>(count));
  if (Status s = lab.ReadExact(bytes.data(), bytes.size(),
                               "the labels (the header declares " + std::to_string(image_count) + ")");
      !s.ok()) {
    return s;
  }
  ds.examples.labels.resize(bytes.size());
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] >= ds.label_names.size()) {
      return Status::InvalidArgument(lab.path() + ": example index " + std::to_string(i) + ": label " +
                                     std::to_string(bytes[i]) + " is outside the " +
                                     std::to_string(ds.label_names.size()) + " labels");
    }
    ds.examples.labels[i] = bytes[i];
  }
  if (limit <= 0 && !lab.AtEnd()) {
    return Status::Corruption(lab.path() + ": data after the " + std::to_string(image_count) +
                              " labels the header declares");
  }

  // Pixels, a block of examples at a time so a corrupt count cannot make us
  // allocate more than the file holds.
  constexpr std::int64_t kBlock = 1024;
  float scale[256];
  for (int v = 0; v < 256; ++v) scale[v] = static_cast<float>(v / 255.0);
  bytes.resize(static_cast<std::size_t>(std::min(count, kBlock) * example_size));
  for (std::int64_t first = 0; first < count; first += kBlock) {
    const std::int64_t n = std::min(kBlock, count - first);
    const std::size_t size = static_cast<std::size_t>(n * example_size);
    if (Status s = img.ReadExact(bytes.data(), size,
                                 "the pixels (the header declares " + std::to_string(image_count) + " images of " +
                                     std::to_string(rows) + "x" + std::to_string(cols) + ")");
        !s.ok()) {
      return s;
    }
    std::vector<float>& features = ds.examples.features;
    const std::size_t at = features.size();
    features.resize(at + size);
    for (std::size_t i = 0; i < size; ++i) features[at + i] = scale[bytes[i]];
  }
  if (limit <= 0 && !img.AtEnd()) {
    return Status::Corruption(img.path() + ": data after the " + std::to_string(image_count) +
                              " images the header declares");
  }
  ds.description = "idx:" + images_path + " (" + std::to_string(count) + " examples)";
  return ds;
}

}  // namespace syllo::learners
