// git.h: run git on a repository with an argument vector (no shell), capturing stdout and stderr.
#pragma once
#include <string>
#include <vector>

namespace harness {

struct git_result {
  int exit_code = 0;    // git's exit status; 127 when git could not be started
  std::string out;      // stdout, byte for byte
  std::string err;      // stderr (or why git could not be started)
  bool ok() const { return exit_code == 0; }
};

// Runs `git -C repo ARGS...` and returns what it printed and how it exited; never throws for a failure
// of git itself (only when no pipe or process can be made at all).
git_result run_git(const std::string& repo, const std::vector<std::string>& args);

// Runs `git -C repo ARGS...` and returns its stdout; a non-zero exit is an error naming the command and
// git's stderr.
std::string git_output(const std::string& repo, const std::vector<std::string>& args);

// The command as a person would type it (for messages): "git -C repo log --oneline A..B".
std::string git_command_text(const std::string& repo, const std::vector<std::string>& args);

}  // namespace harness
