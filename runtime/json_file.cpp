#include "runtime/json_file.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "runtime/error.h"
#include "runtime/text_file.h"

namespace harness {

nlohmann::json read_json_file(const std::string& path) {
  std::string text = read_text_file(path);
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    fail("{}: invalid JSON: {}", path, e.what());
  }
}

void write_json_file_atomic(const std::string& path, const nlohmann::json& json) {
  namespace fs = std::filesystem;
  fs::path target(path);
  if (target.has_parent_path()) fs::create_directories(target.parent_path());
  std::string tmp = fmt::format("{}.tmp.{}", path, ::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) fail("{}: cannot write", tmp);
    out << json.dump(2) << '\n';
    out.flush();
    if (!out) fail("{}: write failed", tmp);
  }
  std::error_code ec;
  fs::rename(tmp, target, ec);
  if (ec) {
    fs::remove(tmp);
    fail("{}: cannot rename into place: {}", path, ec.message());
  }
}

}  // namespace harness
