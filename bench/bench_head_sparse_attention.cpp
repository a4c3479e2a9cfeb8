// Head-sparse decode attention on CPU for one new token at Llama-3.2-3B's shapes (d 3072, 24 query heads,
// 8 KV heads, head dim 128, RoPE), fp32 and bf16, random weights and caches, 512 and 2048 cached tokens.
//   dense_attention/...     libtorch: full Q/K/V projections, attention over the cache (one matmul per KV
//                           group), o_proj; no RoPE
//   head_sparse/.../s       the CPU kernel keeping round(24 * (1 - s)) random query heads (a different
//                           set each iteration, 16 in rotation); KV groups with no kept head are skipped
// Counters: speedup over the dense step (median of 30 runs, dense_us) and over the kernel keeping every
// head; bytes_GBps = (weight rows read + kept groups' cache rows read) / wall time.
#include <benchmark/benchmark.h>

#include <memory>

#include <c10/core/GradMode.h>
#include <fmt/format.h>

#include "bench/attention_cases.h"
#include "bench/bench_util.h"

namespace harness::bench {
namespace {

constexpr int64_t d = attention_d, heads = attention_heads, kv_heads = attention_kv_heads, hd = attention_hd;
constexpr int kept_set_count = 16;

struct attention_case {
  at::Tensor o_proj;  // [d, H*hd] checkpoint layout, for the dense step
  head_sparse_attention_weights w;
  decode_step step;
  double dense_seconds = 0, all_kept_seconds = 0;
};

attention_case& get_case(at::ScalarType dtype, int64_t context) {
  return current_case<attention_case>(fmt::format("{}/{}", c10::toString(dtype), context), [&] {
    at::manual_seed(1);
    auto m = [&](int64_t r, int64_t c) { return (at::randn({r, c}) / std::sqrt(double(c))).to(dtype); };
    auto c = std::make_unique<attention_case>();
    c->o_proj = m(d, heads * hd);
    c->w = prepare_head_sparse_attention(m(heads * hd, d), m(kv_heads * hd, d), m(kv_heads * hd, d), c->o_proj, heads,
                                         kv_heads);
    c->step = random_decode_step(context, dtype, at::kCPU);
    c->dense_seconds =
        median_seconds([&] { benchmark::DoNotOptimize(dense_decode_attention(c->w, c->o_proj, c->step)); }, 30);
    at::Tensor all = at::arange(heads, at::kLong);
    c->all_kept_seconds =
        median_seconds([&] { benchmark::DoNotOptimize(head_sparse_attention_cpu(c->w, c->step, all)); }, 30);
    return c;
  });
}

void bm_dense(benchmark::State& state, at::ScalarType dtype, int64_t context) {
  c10::NoGradGuard no_grad;
  attention_case& c = get_case(dtype, context);
  double seconds =
      timed_loop(state, [&](int64_t) { benchmark::DoNotOptimize(dense_decode_attention(c.w, c.o_proj, c.step)); });
  state.counters["bytes_GBps"] = head_step_bytes(heads, kv_heads, context + 1, dtype) / seconds / 1e9;
  state.counters["read_bw_GBps"] = measured_read_bandwidth() / 1e9;
}

void bm_sparse(benchmark::State& state, at::ScalarType dtype, int64_t context, double sparsity) {
  c10::NoGradGuard no_grad;
  attention_case& c = get_case(dtype, context);
  int64_t kept = std::llround(static_cast<double>(heads) * (1.0 - sparsity));
  std::vector<at::Tensor> sets = random_kept_sets(heads, kept, kept_set_count);
  double groups = mean_kept_groups(sets);
  double seconds = timed_loop(state, [&](int64_t i) {
    benchmark::DoNotOptimize(head_sparse_attention_cpu(c.w, c.step, sets[i % kept_set_count]));
  });
  state.counters["kept_groups"] = groups;
  state.counters["speedup"] = c.dense_seconds / seconds;
  state.counters["speedup_vs_all_kept"] = c.all_kept_seconds / seconds;
  state.counters["bytes_GBps"] =
      head_step_bytes(kept, static_cast<double>(std::llround(groups)), context + 1, dtype) / seconds / 1e9;
  state.counters["dense_us"] = c.dense_seconds * 1e6;
}

void register_all() {
  for (at::ScalarType dtype : {at::kFloat, at::kBFloat16})
    for (int64_t context : {512, 2048}) {
      std::string tag = fmt::format("llama-3.2-3b/{}/ctx={}", dtype == at::kFloat ? "f32" : "bf16", context);
      benchmark::RegisterBenchmark(("dense_attention/" + tag).c_str(), bm_dense, dtype, context)
          ->Unit(benchmark::kMicrosecond);
      for (double sparsity : {0.0, 0.5, 0.7, 0.9})
        benchmark::RegisterBenchmark(fmt::format("head_sparse/{}/s={:.2f}", tag, sparsity).c_str(), bm_sparse, dtype,
                                     context, sparsity)
            ->Unit(benchmark::kMicrosecond);
    }
}

}  // namespace
}  // namespace harness::bench

int main(int argc, char** argv) { return harness::bench::run_registered_benchmarks(argc, argv, harness::bench::register_all); }
