// test_support.h: test_paths.h (shared fixtures, temporary directories) plus tensor comparisons that
// report the worst element when they fail.
#pragma once
#include <filesystem>
#include <string>

#include <ATen/ATen.h>

#include "tests/test_paths.h"

namespace harness::test {

struct closeness {
  bool ok = false;
  double max_abs_diff = 0;
  std::string report;  // where the worst element is, and its two values
};
// |actual - expected| <= atol + rtol * |expected| everywhere (shapes must match).
closeness all_close(const at::Tensor& actual, const at::Tensor& expected, double atol, double rtol);

// Normalised mean squared error sum((a-b)^2) / sum(b^2) in float64, as llama.cpp's test-backend-ops.
double nmse(const at::Tensor& actual, const at::Tensor& expected);

// Copies a fixture model (config.json + weights) into `dir`, so a test may edit it.
void copy_model(const std::filesystem::path& from, const std::filesystem::path& to);

}  // namespace harness::test
