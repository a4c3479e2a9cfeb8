// process.h: run a program (git, tar, gnuplot) with an argument vector -- no shell, so no quoting
// hazards -- and capture what it writes.
#pragma once
#include <string>
#include <vector>

namespace harness {

struct process_result {
  int exit_code = -1;  // the program's exit status; 128 + signal when it was killed
  std::string out;     // stdout
  std::string err;     // stderr
};

// Runs argv[0] (looked up on PATH) in `cwd` (empty: the current directory). Fails only when the
// program cannot be started at all. With `capture` false the program writes to this process's own
// stdout and stderr (long runs show their progress) and `out`/`err` stay empty.
process_result run_process(const std::vector<std::string>& argv, const std::string& cwd = "", bool capture = true);

// run_process, then fail on a non-zero exit with the command line and its stderr; returns stdout.
std::string run_checked(const std::vector<std::string>& argv, const std::string& cwd = "");

}  // namespace harness
