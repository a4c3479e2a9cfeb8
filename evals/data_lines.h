// data_lines.h: a file's lines with their 1-based numbers, for readers that report "file:line".
#pragma once
#include <cstdint>
#include <string_view>
#include <vector>

namespace harness {

struct numbered_line {
  int64_t number = 0;
  std::string_view text;  // without its line break (and without a "\r" before it)
};

// A final line break does not start an empty line; empty lines elsewhere are kept.
std::vector<numbered_line> split_lines(std::string_view text);

}  // namespace harness
