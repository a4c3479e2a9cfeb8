#include "evals/documents.h"

#include <nlohmann/json.hpp>

#include "runtime/error.h"
#include "runtime/text_file.h"

namespace harness {

document_set read_documents(const std::string& path) {
  document_set docs;
  std::string content = read_text_file(path);
  bool jsonl = path.size() >= 6 && path.compare(path.size() - 6, 6, ".jsonl") == 0;
  if (!jsonl) {
    docs.texts.push_back(std::move(content));
    return docs;
  }
  size_t start = 0;
  for (int64_t line_no = 1; start < content.size(); ++line_no) {
    size_t end = content.find('\n', start);
    if (end == std::string::npos) end = content.size();
    std::string_view line(content.data() + start, end - start);
    start = end + 1;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) {
      ++docs.blank_lines;
      continue;
    }
    nlohmann::json row = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (row.is_discarded()) fail("{}:{}: not valid JSON", path, line_no);
    if (!row.is_object() || !row.contains("text") || !row["text"].is_string())
      fail("{}:{}: no string field \"text\"", path, line_no);
    docs.texts.push_back(row["text"].get<std::string>());
  }
  return docs;
}

}  // namespace harness
