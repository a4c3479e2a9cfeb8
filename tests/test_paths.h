// test_paths.h: torch-free test helpers -- the project and ../shared folders, and temporary folders.
#pragma once
#include <filesystem>
#include <string>

namespace harness::test {

// ../shared beside the checkout (or $HARNESS_SHARED).
std::filesystem::path shared_dir();
std::filesystem::path fixture_dir(const std::string& name);
std::filesystem::path project_dir();

// A fresh empty directory under the system temp dir, removed when the object dies.
class temp_dir {
 public:
  explicit temp_dir(const std::string& tag);
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace harness::test
