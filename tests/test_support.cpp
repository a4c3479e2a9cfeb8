#include "tests/test_support.h"

#include <cstdlib>
#include <random>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace harness::test {

namespace fs = std::filesystem;

double nmse(const at::Tensor& actual, const at::Tensor& expected) {
  at::Tensor a = actual.to(at::kDouble), b = expected.to(at::kDouble);
  return (a - b).pow(2).sum().item<double>() / b.pow(2).sum().item<double>();
}

closeness all_close(const at::Tensor& actual, const at::Tensor& expected, double atol, double rtol) {
  closeness c;
  if (actual.sizes() != expected.sizes()) {
    c.report = fmt::format("shape [{}] != expected [{}]", fmt::join(actual.sizes(), ","), fmt::join(expected.sizes(), ","));
    return c;
  }
  at::Tensor a = actual.to(at::kDouble).cpu(), e = expected.to(at::kDouble).cpu();
  at::Tensor diff = (a - e).abs();
  at::Tensor excess = diff - (atol + rtol * e.abs());
  int64_t worst = excess.flatten().argmax().item<int64_t>();
  c.max_abs_diff = diff.max().item<double>();
  c.ok = excess.flatten()[worst].item<double>() <= 0 && !at::isnan(a).any().item<bool>();
  c.report = fmt::format("max |diff| {:.3g}; worst at flat index {}: {} vs expected {} (atol {}, rtol {})",
                         c.max_abs_diff, worst, a.flatten()[worst].item<double>(), e.flatten()[worst].item<double>(),
                         atol, rtol);
  return c;
}

void copy_model(const fs::path& from, const fs::path& to) {
  fs::create_directories(to);
  for (const auto& f : fs::directory_iterator(from)) {
    std::string name = f.path().filename().string();
    if (name == "config.json" || name.find("model.safetensors") == 0 || name == "generation_config.json")
      fs::copy_file(f.path(), to / name, fs::copy_options::overwrite_existing);
  }
}

}  // namespace harness::test
