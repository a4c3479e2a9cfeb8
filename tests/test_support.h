// test_support.h: paths to the shared fixtures, temporary directories, and tensor comparisons that
// report the worst element when they fail.
#pragma once
#include <filesystem>
#include <string>

#include <ATen/ATen.h>

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
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

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
