#include "runtime/new_directory.h"

#include <unistd.h>

#include "runtime/error.h"

namespace harness {

void write_new_directory(const std::string& dir, const std::string& command,
                         const std::function<void(const std::filesystem::path& tmp)>& write) {
  namespace fs = std::filesystem;
  fs::path target = fs::path(dir).lexically_normal();
  if (target.filename().empty()) target = target.parent_path();  // "dir/" -> "dir"
  if (fs::exists(target)) fail("{}: already exists; {} writes a new directory (remove it first)", target.string(), command);
  if (target.has_parent_path()) fs::create_directories(target.parent_path());
  fs::path tmp = target.string() + ".tmp." + std::to_string(::getpid());
  fs::remove_all(tmp);
  fs::create_directory(tmp);
  try {
    write(tmp);
    fs::rename(tmp, target);
  } catch (...) {
    std::error_code ec;
    fs::remove_all(tmp, ec);
    throw;
  }
}

}  // namespace harness
