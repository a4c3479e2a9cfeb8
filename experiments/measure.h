// measure.h: peak resident memory and wall time of work done here or in a child process. A child's peak
// is getrusage's ru_maxrss of the waited-for child (pages it touched, mapped files included). It also
// counts the anonymous memory the child inherits from this process by fork until it execs, so it never
// reads below this process's resident size at the fork (rss_bytes()): keep this process small while it
// measures. This process's peak is VmHWM, which reset_peak_rss() sets back to the current size (Linux >= 4.0).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace harness {

struct child_measure {
  int exit_code = -1;          // the exit status, or 128 + signal number when killed
  double wall_s = 0;
  uint64_t peak_rss_bytes = 0;
};

// argv[0] is the executable's path (no PATH lookup). Blocks until the child ends.
child_measure run_measured(const std::vector<std::string>& argv, const std::string& log_path);

// The path of the running executable (/proc/self/exe).
std::string self_executable();

void reset_peak_rss();
uint64_t peak_rss_bytes();
uint64_t rss_bytes();  // VmRSS: resident now

}  // namespace harness
