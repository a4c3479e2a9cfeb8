// documents.h: a text corpus as a list of documents: a .jsonl file with one {"text": ...} object per
// line (C4's format, as DejaVu's getdata.py writes it), or any other file read whole as one document.
#pragma once
#include <string>
#include <vector>

namespace harness {

// Fails naming the file and line for a malformed line or a line without a string "text"; blank lines
// are not documents and are counted in `blank_lines`.
struct document_set {
  std::vector<std::string> texts;
  int64_t blank_lines = 0;
};
document_set read_documents(const std::string& path);

}  // namespace harness
