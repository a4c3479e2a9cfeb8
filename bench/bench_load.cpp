// Peak resident memory while loading a >= 1 GB checkpoint, as a ratio to the model's size in the
// requested dtype. Target: below 1.2 (loading never holds two full copies of the weights).
#include <benchmark/benchmark.h>

#include <c10/core/GradMode.h>

#include "bench/bench_util.h"
#include "runtime/checkpoint.h"
#include "runtime/model.h"

namespace harness::bench {
namespace {

void BM_load_peak_rss(benchmark::State& state, at::ScalarType dtype) {
  c10::NoGradGuard no_grad;
  std::string dir = synthetic_llama_1b_dir();
  double stored = static_cast<double>(checkpoint(dir).stored_bytes());  // bf16 on disk
  double in_dtype = stored / 2 * at::elementSize(dtype);
  double worst_ratio = 0;
  for (auto _ : state) {
    uint64_t before = current_rss_bytes();
    reset_peak_rss();
    {
      auto model = load_model(dir, dtype, at::Device(at::kCPU));
      benchmark::DoNotOptimize(model.get());
      worst_ratio = std::max(worst_ratio, static_cast<double>(peak_rss_bytes() - before) / in_dtype);
    }
  }
  state.counters["model_GB"] = in_dtype / 1e9;
  state.counters["peak_rss_over_model"] = worst_ratio;
}

BENCHMARK_CAPTURE(BM_load_peak_rss, bf16_from_bf16, at::kBFloat16)->Iterations(2)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_load_peak_rss, f32_from_bf16, at::kFloat)->Iterations(2)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace harness::bench

BENCHMARK_MAIN();
