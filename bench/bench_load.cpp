// Peak resident memory while loading a >= 1 GB checkpoint, as a ratio to the model's size in the
// requested dtype. Target: below 1.2 (loading never holds two full copies of the weights).
// Each load runs in a fresh child process (this binary re-executed with --child), so memory freed
// earlier in the parent cannot hide part of the peak.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <iostream>

#include <unistd.h>

#include <c10/core/GradMode.h>
#include <fmt/format.h>

#include "bench/bench_util.h"
#include "runtime/checkpoint.h"
#include "runtime/error.h"
#include "runtime/model.h"

namespace harness::bench {
namespace {

// Child: load the model and print "<baseline RSS> <peak RSS>" in bytes.
int run_child(const std::string& dir, const std::string& dtype) {
  c10::NoGradGuard no_grad;
  uint64_t baseline = current_rss_bytes();
  auto model = load_model(dir, dtype == "bf16" ? at::kBFloat16 : at::kFloat, at::Device(at::kCPU));
  std::cout << baseline << " " << peak_rss_bytes() << "\n";
  return 0;
}

void BM_load_peak_rss(benchmark::State& state, const std::string& dtype) {
  std::string dir = synthetic_llama_1b_dir();
  double stored = static_cast<double>(checkpoint(dir).stored_bytes());  // bf16 on disk
  double in_dtype = dtype == "bf16" ? stored : stored * 2;
  double worst_ratio = 0;
  for (auto _ : state) {
    std::string command = fmt::format("/proc/{}/exe --child {} {}", ::getpid(), dir, dtype);
    FILE* child = ::popen(command.c_str(), "r");
    unsigned long long baseline = 0, peak = 0;
    int read = child ? std::fscanf(child, "%llu %llu", &baseline, &peak) : 0;
    if (!child || ::pclose(child) != 0 || read != 2) fail("bench_load: child `{}` failed", command);
    worst_ratio = std::max(worst_ratio, static_cast<double>(peak - baseline) / in_dtype);
  }
  state.counters["model_GB"] = in_dtype / 1e9;
  state.counters["peak_rss_over_model"] = worst_ratio;
}

BENCHMARK_CAPTURE(BM_load_peak_rss, bf16_from_bf16, std::string("bf16"))->Iterations(2)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_load_peak_rss, f32_from_bf16, std::string("f32"))->Iterations(2)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace harness::bench

int main(int argc, char** argv) {
  if (argc == 4 && std::strcmp(argv[1], "--child") == 0) return harness::bench::run_child(argv[2], argv[3]);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
