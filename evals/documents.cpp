#include "evals/documents.h"

#include "evals/data.h"
#include "runtime/text_file.h"

namespace harness {

std::vector<std::string> read_documents(const std::string& path) {
  bool jsonl = path.size() >= 6 && path.compare(path.size() - 6, 6, ".jsonl") == 0;
  if (jsonl) return read_text_jsonl(path);
  return {read_text_file(path)};
}

std::string read_joined_documents(const std::string& path) {
  std::vector<std::string> docs = read_documents(path);
  std::string text;
  for (size_t i = 0; i < docs.size(); ++i) text += (i ? "\n\n" : "") + docs[i];
  return text;
}

}  // namespace harness
