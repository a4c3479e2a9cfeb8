#include "evals/data_lines.h"

namespace harness {

std::vector<numbered_line> split_lines(std::string_view text) {
  std::vector<numbered_line> lines;
  size_t start = 0;
  int64_t number = 1;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back({number++, line});
    start = end + 1;
  }
  return lines;
}

}  // namespace harness
