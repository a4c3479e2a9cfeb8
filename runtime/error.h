// error.h: the one exception type of the harness. Messages name the file, tensor or field at fault;
// the CLI prints them as one line and exits non-zero.
#pragma once
#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace harness {

struct harness_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// fail("{}: missing field '{}'", path, name) throws harness_error with the formatted message.
template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
  throw harness_error(fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace harness
