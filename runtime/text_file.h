// text_file.h: read a whole file as bytes, with an error naming it when it cannot be read.
#pragma once
#include <string>

namespace harness {

std::string read_text_file(const std::string& path);

}  // namespace harness
