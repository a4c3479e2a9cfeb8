// git.h: run one git command on a repository and capture what it prints. The arguments go to git as
// they are (no shell), so names with spaces or quotes are safe.
#pragma once
#include <string>
#include <vector>

namespace harness {

// The standard output of `git -C repo args...`. Fails, naming the command and quoting git's standard
// error, when git cannot be started or exits non-zero.
std::string git_output(const std::string& repo, const std::vector<std::string>& args);

}  // namespace harness
