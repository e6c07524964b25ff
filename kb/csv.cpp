#include "kb/csv.h"

namespace syllo::kb {

namespace {
constexpr int kEof = std::char_traits<char>::eof();
}

CsvReader::Next CsvReader::Read(CsvRecord& record, CsvSyntaxError& error) {
  record.fields.clear();
  record.field_lines.clear();
  record.first_quoted = false;
  if (!started_) {
    started_ = true;
    // Skip a UTF-8 byte-order mark; spreadsheet programs like to write one.
    if (in_.sgetc() == 0xEF) {
      in_.sbumpc();
      if (in_.sbumpc() != 0xBB || in_.sbumpc() != 0xBF) {
        error = {line_, 0, "the file starts with a broken byte-order mark"};
        return Next::kError;
      }
    }
  }
  if (in_.sgetc() == kEof) return Next::kEnd;
  record.line = line_;

  std::string field;
  while (true) {
    field.clear();
    std::uint64_t field_line = line_;
    bool quoted = false;
    int c = in_.sgetc();
    if (c == '"') {
      quoted = true;
      in_.sbumpc();
      while (true) {
        c = in_.sbumpc();
        if (c == kEof) {
          error = {line_, record.fields.size(),
                   "unterminated quoted field (the quote opened on line " + std::to_string(field_line) + ")"};
          return Next::kError;
        }
        if (c == '"') {
          if (in_.sgetc() == '"') {
            in_.sbumpc();
            field += '"';
            continue;
          }
          break;  // closing quote
        }
        if (c == '\n') ++line_;
        if (c == '\r' && in_.sgetc() != '\n') ++line_;  // a bare CR ends a line too
        field += static_cast<char>(c);
      }
      c = in_.sgetc();
      if (c != ',' && c != '\n' && c != '\r' && c != kEof) {
        error = {line_, record.fields.size(),
                 "unexpected character after a closing quote (a quote inside a quoted field is written \"\")"};
        return Next::kError;
      }
    } else {
      while (c != ',' && c != '\n' && c != '\r' && c != kEof) {
        if (c == '"') {
          error = {line_, record.fields.size(),
                   "a quote inside an unquoted field (quote the whole field and double the quote)"};
          return Next::kError;
        }
        field += static_cast<char>(c);
        in_.sbumpc();
        c = in_.sgetc();
      }
    }
    if (record.fields.empty()) record.first_quoted = quoted;
    record.fields.push_back(field);
    record.field_lines.push_back(field_line);
    // c is the (unconsumed) delimiter.
    if (c == ',') {
      in_.sbumpc();
      continue;
    }
    if (c == '\r') {
      in_.sbumpc();
      if (in_.sgetc() == '\n') in_.sbumpc();
      ++line_;
    } else if (c == '\n') {
      in_.sbumpc();
      ++line_;
    }
    return Next::kRecord;
  }
}

void AppendCsvField(std::string& line, std::string_view field, bool force_quote) {
  bool quote = force_quote || field.empty() || field.find_first_of(",\"\r\n") != std::string_view::npos ||
               field.front() == ' ' || field.back() == ' ';
  if (!quote) {
    line += field;
    return;
  }
  line += '"';
  for (char c : field) {
    if (c == '"') line += '"';
    line += c;
  }
  line += '"';
}

}  // namespace syllo::kb
