// bench_util.h: what the benchmarks share: the machine's measured memory bandwidth, resident-memory
// readings, and the synthetic Llama-3.2-1B-shaped checkpoint (written once, then reused).
#pragma once
#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <benchmark/benchmark.h>

namespace harness::bench {

// Bytes per second of a streaming read over 1 GiB (a multi-threaded sum), measured once per process.
double measured_read_bandwidth();
// `count` random kept sets of `kept` of `width` indices, each sorted ([kept] int64), made on the CPU from the
// current seed and moved to `device`: kernels get a different set each iteration, as in decode.
std::vector<at::Tensor> random_kept_sets(int64_t width, int64_t kept, int count, at::Device device = at::kCPU);
// Median wall seconds of `reps` calls of fn, after 3 warm-up calls.
double median_seconds(const std::function<void()>& fn, int reps);
// Runs fn(i) for each iteration i of the state's loop; returns wall seconds per iteration (timed here so
// counters can be plain ratios such as a speedup).
template <typename F>
double timed_loop(benchmark::State& state, F fn) {
  auto t0 = std::chrono::steady_clock::now();
  int64_t i = 0;
  for (auto _ : state) fn(i++);
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return elapsed / static_cast<double>(std::max<int64_t>(i, 1));
}
// The one case (tensors of one shape) a suite holds: made by make() (a std::unique_ptr<T>) when `key`
// differs from the last call's, after the previous case is freed; benchmarks of one shape run in a row.
template <typename T, typename Make>
T& current_case(const std::string& key, Make make) {
  static std::string current;
  static std::unique_ptr<T> held;
  if (held && key == current) return *held;
  held.reset();
  held = make();
  current = key;
  return *held;
}

// The main() of a suite whose benchmarks are registered at run time by `register_all` (their shapes
// and names come from loops): register, then Google Benchmark's usual initialise / run / shut down.
int run_registered_benchmarks(int argc, char** argv, void (*register_all)());
// Current and peak (since the last reset) resident set size of this process, in bytes.
uint64_t current_rss_bytes();
uint64_t peak_rss_bytes();
void reset_peak_rss();
// Directory of a random-weight bf16 checkpoint with Llama-3.2-1B's shapes ($HARNESS_BENCH_DIR or /tmp).
std::string synthetic_llama_1b_dir();
std::string source_dir();

}  // namespace harness::bench
