// The sparse MLP on CPU for one decoded token at Llama-3.2-3B (d 3072, F 8192, SwiGLU) and OPT-6.7B
// (d 4096, F 16384, ReLU with biases) shapes, fp32 and bf16, random weights and random kept neurons.
//   dense_mlp/...      libtorch's dense MLP on the checkpoint layout (at::linear x3, or x2 for OPT)
//   sparse_mlp/.../s   the optimised CPU kernel keeping round(F * (1 - s)) neurons
//   predictor/...      DejaVu's MLP predictor (d -> 1000 -> F, two bias-free linears)
// Counters: speedup over the dense MLP (timed once per shape and dtype, median of 30 runs, dense_us) and
// over the same kernel keeping every neuron (the stricter baseline where libtorch's bf16 GEMV is slow), the
// target 0.6 / (1 - s) of issue 7, the weight bytes read per second (the kernel's only traffic that
// scales with K), the machine's measured read bandwidth, and for the predictor its time as a fraction of
// the dense MLP. The whole weight set of a case (>= 100 MB) is far larger than the last-level cache.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <map>
#include <memory>

#include <c10/core/GradMode.h>
#include <fmt/format.h>

#include "bench/bench_util.h"
#include "bench/mlp_cases.h"

namespace harness::bench {
namespace {

const mlp_shape shapes[] = {llama_3_2_3b_mlp, opt_6_7b_mlp};
constexpr int kept_set_count = 16;

// One shape and dtype's weights and its baselines.
struct mlp_case {
  mlp_weights w;
  double dense_seconds = 0;       // libtorch's dense MLP
  double kernel_all_seconds = 0;  // the sparse kernel with every neuron kept
};

// Holds one case at a time (fp32 OPT-6.7B shapes alone are 0.8 GB).
mlp_case& get_case(const mlp_shape& s, at::ScalarType dtype) {
  return current_case<mlp_case>(fmt::format("{}/{}", s.name, c10::toString(dtype)), [&] {
    at::manual_seed(1);
    auto c = std::make_unique<mlp_case>();
    c->w = random_mlp_weights(s, dtype, at::kCPU);
    c->dense_seconds = median_seconds([&] { benchmark::DoNotOptimize(dense_mlp(c->w)); }, 30);
    at::Tensor all = at::arange(s.f, at::kLong);
    c->kernel_all_seconds =
        median_seconds([&] { benchmark::DoNotOptimize(sparse_mlp_cpu(c->w.prepared, c->w.x, all)); }, 30);
    return c;
  });
}

void common_counters(benchmark::State& state, const mlp_case& c, double bytes) {
  state.counters["weight_GBps"] = benchmark::Counter(bytes / 1e9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["read_bw_GBps"] = measured_read_bandwidth() / 1e9;
  state.counters["dense_us"] = c.dense_seconds * 1e6;
}

void bm_dense(benchmark::State& state, const mlp_shape& s, at::ScalarType dtype) {
  c10::NoGradGuard no_grad;
  mlp_case& c = get_case(s, dtype);
  timed_loop(state, [&](int64_t) { benchmark::DoNotOptimize(dense_mlp(c.w)); });
  common_counters(state, c, mlp_weight_bytes(s, dtype, s.f));
}

void bm_sparse(benchmark::State& state, const mlp_shape& s, at::ScalarType dtype, double sparsity) {
  c10::NoGradGuard no_grad;
  mlp_case& c = get_case(s, dtype);
  int64_t kept_count = std::llround(static_cast<double>(s.f) * (1.0 - sparsity));
  // A different kept set each iteration, as in decode: a fixed set of 5-10% of the rows would stay in
  // the last-level cache and time cache bandwidth rather than memory bandwidth.
  std::vector<at::Tensor> kept_sets = random_kept_sets(s.f, kept_count, kept_set_count);
  double seconds = timed_loop(state, [&](int64_t i) {
    benchmark::DoNotOptimize(sparse_mlp_cpu(c.w.prepared, c.w.x, kept_sets[i % kept_set_count]));
  });
  common_counters(state, c, mlp_weight_bytes(s, dtype, kept_count));
  state.counters["speedup"] = c.dense_seconds / seconds;
  state.counters["speedup_vs_all_kept"] = c.kernel_all_seconds / seconds;
  state.counters["target"] = 0.6 / (1.0 - sparsity);
}

void bm_predictor(benchmark::State& state, const mlp_shape& s, at::ScalarType dtype) {
  c10::NoGradGuard no_grad;
  mlp_case& c = get_case(s, dtype);
  const mlp_weights& w = c.w;
  double seconds =
      timed_loop(state, [&](int64_t) { benchmark::DoNotOptimize(at::linear(at::linear(w.x, w.pred1), w.pred2)); });
  double bytes = static_cast<double>(predictor_rank * (s.d + s.f)) * static_cast<double>(at::elementSize(dtype));
  common_counters(state, c, bytes);
  state.counters["fraction_of_dense"] = seconds / c.dense_seconds;
}

void register_all() {
  for (const mlp_shape& s : shapes)
    for (at::ScalarType dtype : {at::kFloat, at::kBFloat16}) {
      std::string tag = fmt::format("{}/{}", s.name, dtype == at::kFloat ? "f32" : "bf16");
      benchmark::RegisterBenchmark(("dense_mlp/" + tag).c_str(), bm_dense, s, dtype)->Unit(benchmark::kMicrosecond);
      for (double sparsity : {0.0, 0.5, 0.7, 0.8, 0.9, 0.95})
        benchmark::RegisterBenchmark(fmt::format("sparse_mlp/{}/s={:.2f}", tag, sparsity).c_str(), bm_sparse, s,
                                     dtype, sparsity)
            ->Unit(benchmark::kMicrosecond);
      benchmark::RegisterBenchmark(("predictor/" + tag).c_str(), bm_predictor, s, dtype)
          ->Unit(benchmark::kMicrosecond);
    }
}

}  // namespace
}  // namespace harness::bench

int main(int argc, char** argv) { return harness::bench::run_registered_benchmarks(argc, argv, harness::bench::register_all); }
