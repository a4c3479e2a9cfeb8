#include "bench/bench_util.h"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <vector>

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "runtime/synthetic_checkpoint.h"

namespace harness::bench {

double measured_read_bandwidth() {
  // A vectorised, multi-threaded reduction (libtorch's sum over all intra-op threads), best of 5.
  static const double bandwidth = [] {
    at::Tensor buffer = at::ones({(int64_t{1} << 30) / 4}, at::kFloat);  // 1 GiB
    double best = 0;
    for (int rep = 0; rep < 5; ++rep) {
      auto t0 = std::chrono::steady_clock::now();
      volatile float sum = buffer.sum().item<float>();
      (void)sum;
      double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      best = std::max(best, static_cast<double>(buffer.numel() * 4) / s);
    }
    return best;
  }();
  return bandwidth;
}

std::vector<at::Tensor> random_kept_sets(int64_t width, int64_t kept, int count, at::Device device) {
  std::vector<at::Tensor> sets;
  for (int i = 0; i < count; ++i) sets.push_back(std::get<0>(at::randperm(width).narrow(0, 0, kept).sort()).to(device));
  return sets;
}

double median_seconds(const std::function<void()>& fn, int reps) {
  std::vector<double> t;
  for (int i = 0; i < reps + 3; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    fn();
    if (i >= 3) t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::nth_element(t.begin(), t.begin() + reps / 2, t.end());
  return t[reps / 2];
}

namespace {
uint64_t status_field_kb(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field + ":", 0) == 0) return std::stoull(line.substr(field.size() + 1));
  return 0;
}
}  // namespace

uint64_t current_rss_bytes() { return status_field_kb("VmRSS") * 1024; }
uint64_t peak_rss_bytes() { return status_field_kb("VmHWM") * 1024; }
void reset_peak_rss() { std::ofstream("/proc/self/clear_refs") << "5"; }

std::string source_dir() { return HARNESS_SOURCE_DIR; }

std::string synthetic_llama_1b_dir() {
  const char* env = std::getenv("HARNESS_BENCH_DIR");
  std::filesystem::path dir = std::filesystem::path(env ? env : "/tmp/harness-bench") / "llama-3.2-1b-shape-bf16";
  if (!std::filesystem::exists(dir / "model.safetensors")) {
    std::cerr << "writing a random-weight Llama-3.2-1B-shaped bf16 checkpoint to " << dir << " (once)\n";
    write_synthetic_llama(dir.string(), llama_3_2_1b_config(), at::kBFloat16, 1);
  }
  return dir.string();
}

int run_registered_benchmarks(int argc, char** argv, void (*register_all)()) {
  register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

}  // namespace harness::bench
