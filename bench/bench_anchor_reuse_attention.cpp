// Anchor/reuse (Kascade-style) decode attention on CPU for one new token at Llama-3.2-3B's attention
// shapes (24 query heads, 8 KV heads, head dim 128), random queries and caches of 512, 2048 and 8192 keys,
// fp32 and bf16, tiles of 16.
//   dense_attention/...   libtorch: attention over every key (one matmul per KV group, softmax, matmul)
//   anchor/.../k          the CPU anchor kernel: attention over every key plus the top-k tile choice
//   reuse/.../k           the CPU reuse kernel over k tiles per head (random sets holding the newest tile,
//                         a different set and head map each iteration, 16 in rotation)
// k is 8 tiles (the 8 of 32 at 512 tokens) and a quarter of the tiles (the same ratio at every
// length). Counters: speedup over the dense step (median of 30 runs, dense_us) and over the reuse kernel
// keeping every tile (the kernel's own dense); keys = fraction of the keys attended.
#include <benchmark/benchmark.h>

#include <memory>
#include <vector>

#include <c10/core/GradMode.h>
#include <fmt/format.h>

#include "bench/attention_cases.h"
#include "bench/bench_util.h"

namespace harness::bench {
namespace {

constexpr int64_t heads = attention_heads, kv_heads = attention_kv_heads, hd = attention_hd, tile = attention_tile;
constexpr int set_count = 16;

struct attention_case {
  anchor_reuse_step step;
  double dense_seconds = 0, all_tiles_seconds = 0;
};

attention_case& get_case(at::ScalarType dtype, int64_t context) {
  return current_case<attention_case>(fmt::format("{}/{}", c10::toString(dtype), context), [&] {
    at::manual_seed(1);
    auto c = std::make_unique<attention_case>();
    c->step.q = at::randn({1, heads, hd}).to(dtype);
    c->step.k = at::randn({kv_heads, context, hd}).to(dtype);
    c->step.v = at::randn({kv_heads, context, hd}).to(dtype);
    c->step.score_scale = 1.0 / std::sqrt(static_cast<double>(hd));
    c->step.tile = tile;
    c->dense_seconds = median_seconds([&] { benchmark::DoNotOptimize(dense_cache_attention(c->step)); }, 30);
    int64_t nt = tile_count(context, tile);
    at::Tensor all = at::arange(nt, at::kLong).unsqueeze(0).repeat({heads, 1});
    at::Tensor identity = at::arange(heads, at::kLong);
    c->all_tiles_seconds =
        median_seconds([&] { benchmark::DoNotOptimize(reuse_attention_cpu(c->step, all, identity)); }, 30);
    return c;
  });
}

void bm_dense(benchmark::State& state, at::ScalarType dtype, int64_t context) {
  c10::NoGradGuard no_grad;
  attention_case& c = get_case(dtype, context);
  double seconds = timed_loop(state, [&](int64_t) { benchmark::DoNotOptimize(dense_cache_attention(c.step)); });
  state.counters["dense_us"] = seconds * 1e6;
}

void bm_anchor(benchmark::State& state, at::ScalarType dtype, int64_t context, int64_t top_k) {
  c10::NoGradGuard no_grad;
  attention_case& c = get_case(dtype, context);
  double seconds = timed_loop(state, [&](int64_t) { benchmark::DoNotOptimize(anchor_attention_cpu(c.step, top_k)); });
  state.counters["speedup"] = c.dense_seconds / seconds;
  state.counters["speedup_vs_all_tiles"] = c.all_tiles_seconds / seconds;
  state.counters["dense_us"] = c.dense_seconds * 1e6;
}

void bm_reuse(benchmark::State& state, at::ScalarType dtype, int64_t context, int64_t top_k) {
  c10::NoGradGuard no_grad;
  attention_case& c = get_case(dtype, context);
  std::vector<reuse_selection> sets = random_reuse_selections(tile_count(context, tile), top_k, set_count, at::kCPU);
  double seconds = timed_loop(state, [&](int64_t i) {
    const reuse_selection& r = sets[i % set_count];
    benchmark::DoNotOptimize(reuse_attention_cpu(c.step, r.tiles, r.head_map));
  });
  state.counters["keys"] = static_cast<double>(top_k * tile) / static_cast<double>(context);
  state.counters["speedup"] = c.dense_seconds / seconds;
  state.counters["speedup_vs_all_tiles"] = c.all_tiles_seconds / seconds;
  state.counters["dense_us"] = c.dense_seconds * 1e6;
}

void register_all() {
  for (at::ScalarType dtype : {at::kFloat, at::kBFloat16})
    for (int64_t context : {512, 2048, 8192}) {
      std::string tag = fmt::format("llama-3.2-3b/{}/ctx={}", dtype == at::kFloat ? "f32" : "bf16", context);
      benchmark::RegisterBenchmark(("dense_attention/" + tag).c_str(), bm_dense, dtype, context)
          ->Unit(benchmark::kMicrosecond);
      int64_t quarter = tile_count(context, tile) / 4;
      benchmark::RegisterBenchmark(fmt::format("anchor/{}/k={}", tag, quarter).c_str(), bm_anchor, dtype, context,
                                   quarter)
          ->Unit(benchmark::kMicrosecond);
      std::vector<int64_t> ks = {8};
      if (quarter != 8) ks.push_back(quarter);
      for (int64_t top_k : ks) {
        benchmark::RegisterBenchmark(fmt::format("reuse/{}/k={}", tag, top_k).c_str(), bm_reuse, dtype, context, top_k)
            ->Unit(benchmark::kMicrosecond);
      }
    }
}

}  // namespace
}  // namespace harness::bench

int main(int argc, char** argv) { return harness::bench::run_registered_benchmarks(argc, argv, harness::bench::register_all); }
