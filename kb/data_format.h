// The text formats facts are imported from and exported to.
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "syllo/status.h"

namespace syllo::kb {

enum class DataFormat { kCsv, kJsonLines };

// "csv" or "jsonl" (also "ndjson", "json-lines").
Result<DataFormat> ParseDataFormat(std::string_view name);
// By extension: .csv, .jsonl / .ndjson. Anything else is an error asking for --format.
Result<DataFormat> DataFormatForPath(const std::string& path);
std::string_view DataFormatName(DataFormat format);

}  // namespace syllo::kb
