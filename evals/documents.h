// documents.h: a text corpus as a list of documents: a .jsonl file with one {"text": ...} object per
// line (C4's format, as DejaVu's getdata.py writes it; read by evals/data.h), or any other file read
// whole as one document.
#pragma once
#include <string>
#include <vector>

namespace harness {

std::vector<std::string> read_documents(const std::string& path);

// The corpus as one text to score: its documents joined by blank lines (a text file as it is).
std::string read_joined_documents(const std::string& path);

}  // namespace harness
