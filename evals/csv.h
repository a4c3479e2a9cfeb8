// csv.h: RFC 4180 CSV as the data sets write it (Hendrycks MMLU, GPQA): fields separated by commas,
// records by "\n" or "\r\n"; a field in double quotes may hold commas, newlines and "" for one quote.
// Like Python's csv module (which built the published Hugging Face copies), a quote inside an
// unquoted field and text after a closing quote are kept literally (MMLU has such fields).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace harness {

struct csv_record {
  int64_t line = 0;  // 1-based line where the record starts (records may span lines)
  std::vector<std::string> fields;
};

// Every record of `text`; `source` names the file in errors (a quoted field never closed), which
// also give the line where the field opened.
// A final line break does not start an empty record; an empty line elsewhere is a record with one
// empty field, so a reader that checks field counts reports it.
std::vector<csv_record> parse_csv(std::string_view text, const std::string& source);

}  // namespace harness
