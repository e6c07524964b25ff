#include "kb/data_format.h"

#include <algorithm>
#include <filesystem>

namespace syllo::kb {

Result<DataFormat> ParseDataFormat(std::string_view name) {
  if (name == "csv") return DataFormat::kCsv;
  if (name == "jsonl" || name == "ndjson" || name == "json-lines") return DataFormat::kJsonLines;
  return Status::InvalidArgument("unknown format '" + std::string(name) + "' (expected csv or jsonl)");
}

Result<DataFormat> DataFormatForPath(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  if (ext == ".csv") return DataFormat::kCsv;
  if (ext == ".jsonl" || ext == ".ndjson") return DataFormat::kJsonLines;
  return Status::InvalidArgument("cannot tell the format of " + path +
                                 " from its extension; name it .csv or .jsonl, or give --format");
}

std::string_view DataFormatName(DataFormat format) {
  return format == DataFormat::kCsv ? "csv" : "jsonl";
}

}  // namespace syllo::kb
