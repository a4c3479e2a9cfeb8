#include "evals/csv.h"

#include "runtime/error.h"

namespace harness {

std::vector<csv_record> parse_csv(std::string_view text, const std::string& source) {
  std::vector<csv_record> records;
  size_t i = 0, n = text.size();
  int64_t line = 1;
  while (i < n) {
    csv_record record;
    record.line = line;
    bool end_of_record = false;
    while (!end_of_record) {
      std::string field;
      if (i < n && text[i] == '"') {
        int64_t opened_at = line;
        ++i;
        for (;;) {
          if (i >= n) fail("{}:{}: quoted field never closed", source, opened_at);
          char c = text[i++];
          if (c == '"') {
            if (i < n && text[i] == '"') {
              field += '"';
              ++i;
            } else {
              break;
            }
          } else {
            if (c == '\n') ++line;
            field += c;
          }
        }
      }
      // Unquoted text, or text after a closing quote: taken literally, quotes included.
      while (i < n && text[i] != ',' && text[i] != '\n' && text[i] != '\r') field += text[i++];
      record.fields.push_back(std::move(field));
      if (i >= n) {
        end_of_record = true;
      } else if (text[i] == ',') {
        ++i;
      } else {
        if (text[i] == '\r') ++i;
        if (i < n && text[i] == '\n') ++i;
        ++line;
        end_of_record = true;
      }
    }
    records.push_back(std::move(record));
  }
  return records;
}

}  // namespace harness
