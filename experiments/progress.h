// progress.h: progress lines on stderr for long work: units done, rate and ETA, at most every 2 s.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

namespace harness {

// Returns a callback f(done, total) that prints "<what>: <done>/<total> <unit> (<rate>/s, ETA <s> s)".
std::function<void(int64_t done, int64_t total)> progress_printer(std::string what, std::string unit);

}  // namespace harness
