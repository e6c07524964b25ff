// CSV as RFC 4180 describes it: fields separated by commas, records by CRLF (a
// bare LF or CR is accepted too), a field that holds a comma, quote or line break
// is quoted, and a quote inside a quoted field is doubled. A UTF-8 byte-order
// mark at the start is skipped.
//
// The reader streams (a file of millions of rows is never held in memory) and
// counts physical lines, so an error names the line in the file even after a
// quoted field that spans several lines.
//
// Thread safety: a CsvReader belongs to one thread; the writer functions are pure.
#pragma once

#include <cstdint>
#include <istream>
#include <string>
#include <string_view>
#include <vector>

namespace syllo::kb {

struct CsvRecord {
  std::vector<std::string> fields;
  std::vector<std::uint64_t> field_lines;  // physical line (1-based) where each field starts
  std::uint64_t line = 0;                  // where the record starts
  // The record is an empty line: one empty, unquoted field. Importers skip it; a
  // lone empty string value must be written quoted ("").
  bool blank() const { return fields.size() == 1 && fields[0].empty() && !first_quoted; }
  bool first_quoted = false;
};

struct CsvSyntaxError {
  std::uint64_t line = 0;
  std::size_t field = 0;  // 0-based index of the field in its record
  std::string message;
};

class CsvReader {
 public:
  // Borrows `in`, which must outlive the reader.
  explicit CsvReader(std::istream& in) : in_(*in.rdbuf()) {}

  enum class Next { kRecord, kEnd, kError };
  // Reads the next record into `record`; on kError, `error` says where and why.
  Next Read(CsvRecord& record, CsvSyntaxError& error);

 private:
  std::streambuf& in_;
  std::uint64_t line_ = 1;
  bool started_ = false;
};

// Appends `field` to `line`, quoted if it has to be (or if `force_quote`).
void AppendCsvField(std::string& line, std::string_view field, bool force_quote = false);

}  // namespace syllo::kb
