#include "tests/test_paths.h"

#include <cstdlib>
#include <random>

#include <fmt/format.h>

namespace harness::test {

namespace fs = std::filesystem;

fs::path project_dir() { return fs::path(HARNESS_SOURCE_DIR); }

fs::path shared_dir() {
  if (const char* env = std::getenv("HARNESS_SHARED")) return fs::path(env);
  return project_dir().parent_path() / "shared";
}

fs::path fixture_dir(const std::string& name) { return shared_dir() / "fixtures" / name; }

temp_dir::temp_dir(const std::string& tag) {
  std::random_device rd;
  path_ = fs::temp_directory_path() / fmt::format("harness-{}-{:08x}", tag, rd());
  fs::create_directories(path_);
}

temp_dir::~temp_dir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

}  // namespace harness::test
