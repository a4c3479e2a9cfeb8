#include "experiments/progress.h"

#include <chrono>
#include <iostream>
#include <memory>

#include <fmt/format.h>

namespace harness {

std::function<void(int64_t, int64_t)> progress_printer(std::string what, std::string unit) {
  auto start = std::chrono::steady_clock::now();
  auto last = std::make_shared<double>(-1e9);
  return [start, last, what, unit](int64_t done, int64_t total) {
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (s - *last < 2.0 && done != total) return;
    *last = s;
    double rate = done / std::max(s, 1e-9);
    std::cerr << fmt::format("{}: {}/{} {} ({:.1f}/s, ETA {:.0f} s)\n", what, done, total, unit, rate,
                             (total - done) / std::max(rate, 1e-9));
  };
}

}  // namespace harness
