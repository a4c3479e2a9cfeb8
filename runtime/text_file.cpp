#include "runtime/text_file.h"

#include <fstream>
#include <sstream>

#include "runtime/error.h"

namespace harness {

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("{}: cannot open", path);
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) fail("{}: read failed", path);
  return text.str();
}

}  // namespace harness
