// The CUDA variants of the three sparse ops against libtorch's dense ops on one GPU, for one decoded token
// (built with HARNESS_CUDA; refuses to run without a GPU). Random weights and caches, made on the GPU.
//   mlp_dense/<shape>/<dtype>          libtorch (cuBLAS) dense MLP on the checkpoint layout
//   mlp_sparse/<shape>/<dtype>/s       sparse_mlp_cuda keeping round(F * (1 - s)) random neurons
//   mlp_predictor/<shape>/<dtype>      DejaVu's MLP predictor (d -> 1000 -> F)
//   attn_dense/<ctx>/<dtype>           libtorch dense decode attention step (Q/K/V, attention, o_proj)
//   attn_head_sparse/<ctx>/<dtype>/s   head_sparse_attention_cuda keeping round(24 * (1 - s)) random heads
//   kascade_dense|anchor|reuse/...     attention over the cache alone: dense, the anchor kernel (all keys
//                                      plus the top-k tile choice), the reuse kernel over k tiles per head
// Every call is timed as the host sees it: the op, then a device synchronisation (a decode step waits
// for its result), so launch overhead and the kernels' host-side index checks are part of the time. Kept
// sets rotate (16 per case) so that a sparse set does not stay in the GPU's L2 cache. Counters: speedup
// over the dense op of the same case (median of 30 calls, dense_us), the weight (and cache) bytes the op
// must read per second, and the GPU's measured device-to-device copy bandwidth (bytes read + written).
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <memory>
#include <vector>

#include <c10/core/GradMode.h>
#include <c10/cuda/CUDAFunctions.h>
#include <fmt/format.h>

#include "bench/attention_cases.h"
#include "bench/bench_util.h"
#include "bench/mlp_cases.h"
#include "runtime/error.h"

namespace harness::bench {
namespace {

constexpr int set_count = 16;
const at::Device gpu(at::kCUDA, 0);

// Wall seconds of fn() followed by a device synchronisation.
void synced(const std::function<void()>& fn) {
  fn();
  c10::cuda::device_synchronize();
}
double gpu_median_seconds(const std::function<void()>& fn, int reps) {
  return median_seconds([&] { synced(fn); }, reps);
}
template <typename F>
double gpu_timed_loop(benchmark::State& state, F fn) {
  return timed_loop(state, [&](int64_t i) { synced([&] { fn(i); }); });
}

// Bytes per second of a 1 GiB device-to-device copy (read + written), measured once per process.
double gpu_copy_bandwidth() {
  static double bandwidth = [] {
    at::Tensor src = at::ones({int64_t{1} << 28}, at::TensorOptions().dtype(at::kFloat).device(gpu));  // [2^28] = 1 GiB
    at::Tensor dst = at::empty_like(src);
    double seconds = gpu_median_seconds([&] { dst.copy_(src); }, 10);
    return 2.0 * static_cast<double>(src.nbytes()) / seconds;
  }();
  return bandwidth;
}

at::Tensor random_matrix(int64_t rows, int64_t cols, at::ScalarType dtype) {  // [rows, cols] on the GPU
  return (at::randn({rows, cols}, at::TensorOptions().device(gpu)) / std::sqrt(static_cast<double>(cols))).to(dtype);
}
const char* dtype_tag(at::ScalarType dtype) { return dtype == at::kFloat ? "f32" : "bf16"; }

// ---- sparse MLP ----
const mlp_shape mlp_shapes[] = {llama_3_2_3b_mlp, llama_3_1_8b_mlp, opt_6_7b_mlp};

struct mlp_case {
  mlp_weights w;
  double dense_seconds = 0;
};

mlp_case& get_mlp_case(const mlp_shape& s, at::ScalarType dtype) {
  return current_case<mlp_case>(fmt::format("mlp/{}/{}", s.name, dtype_tag(dtype)), [&] {
    at::manual_seed(1);
    auto c = std::make_unique<mlp_case>();
    c->w = random_mlp_weights(s, dtype, gpu);
    c->dense_seconds = gpu_median_seconds([&] { benchmark::DoNotOptimize(dense_mlp(c->w)); }, 30);
    return c;
  });
}

void bandwidth_counters(benchmark::State& state, double bytes, double seconds, double dense_seconds) {
  state.counters["bytes_GBps"] = bytes / seconds / 1e9;
  state.counters["copy_bw_GBps"] = gpu_copy_bandwidth() / 1e9;
  state.counters["dense_us"] = dense_seconds * 1e6;
}

void bm_mlp_dense(benchmark::State& state, const mlp_shape& s, at::ScalarType dtype) {
  c10::NoGradGuard no_grad;
  mlp_case& c = get_mlp_case(s, dtype);
  double seconds = gpu_timed_loop(state, [&](int64_t) { benchmark::DoNotOptimize(dense_mlp(c.w)); });
  bandwidth_counters(state, mlp_weight_bytes(s, dtype, s.f), seconds, c.dense_seconds);
}

void bm_mlp_sparse(benchmark::State& state, const mlp_shape& s, at::ScalarType dtype, double sparsity) {
  c10::NoGradGuard no_grad;
  mlp_case& c = get_mlp_case(s, dtype);
  int64_t kept = std::llround(static_cast<double>(s.f) * (1.0 - sparsity));
  std::vector<at::Tensor> sets = random_kept_sets(s.f, kept, set_count, gpu);
  double seconds = gpu_timed_loop(
      state, [&](int64_t i) { benchmark::DoNotOptimize(sparse_mlp_cuda(c.w.prepared, c.w.x, sets[i % set_count])); });
  bandwidth_counters(state, mlp_weight_bytes(s, dtype, kept), seconds, c.dense_seconds);
  state.counters["speedup"] = c.dense_seconds / seconds;
}

void bm_mlp_predictor(benchmark::State& state, const mlp_shape& s, at::ScalarType dtype) {
  c10::NoGradGuard no_grad;
  mlp_case& c = get_mlp_case(s, dtype);
  const mlp_weights& w = c.w;
  double seconds = gpu_timed_loop(
      state, [&](int64_t) { benchmark::DoNotOptimize(at::linear(at::linear(w.x, w.pred1), w.pred2)); });
  double bytes = static_cast<double>(predictor_rank * (s.d + s.f)) * static_cast<double>(at::elementSize(dtype));
  bandwidth_counters(state, bytes, seconds, c.dense_seconds);
  state.counters["fraction_of_dense"] = seconds / c.dense_seconds;
}

// ---- head-sparse attention (Llama-3.2-3B: d 3072, 24 query heads, 8 KV heads, head dim 128) ----
constexpr int64_t d_model = attention_d, heads = attention_heads, kv_heads = attention_kv_heads, hd = attention_hd,
                  tile = attention_tile;

struct head_case {
  at::Tensor o_proj;  // [d, H*hd] checkpoint layout, for the dense step
  head_sparse_attention_weights w;
  decode_step step;
  double dense_seconds = 0;
};

head_case& get_head_case(at::ScalarType dtype, int64_t context) {
  return current_case<head_case>(fmt::format("head/{}/{}", dtype_tag(dtype), context), [&] {
    at::manual_seed(1);
    auto c = std::make_unique<head_case>();
    c->o_proj = random_matrix(d_model, heads * hd, dtype);
    c->w = prepare_head_sparse_attention(random_matrix(heads * hd, d_model, dtype),
                                         random_matrix(kv_heads * hd, d_model, dtype),
                                         random_matrix(kv_heads * hd, d_model, dtype), c->o_proj, heads, kv_heads);
    c->step = random_decode_step(context, dtype, gpu);
    c->dense_seconds =
        gpu_median_seconds([&] { benchmark::DoNotOptimize(dense_decode_attention(c->w, c->o_proj, c->step)); }, 30);
    return c;
  });
}

void bm_attn_dense(benchmark::State& state, at::ScalarType dtype, int64_t context) {
  c10::NoGradGuard no_grad;
  head_case& c = get_head_case(dtype, context);
  double seconds =
      gpu_timed_loop(state, [&](int64_t) { benchmark::DoNotOptimize(dense_decode_attention(c.w, c.o_proj, c.step)); });
  bandwidth_counters(state, head_step_bytes(heads, kv_heads, context + 1, dtype), seconds, c.dense_seconds);
}

void bm_attn_head_sparse(benchmark::State& state, at::ScalarType dtype, int64_t context, double sparsity) {
  c10::NoGradGuard no_grad;
  head_case& c = get_head_case(dtype, context);
  int64_t kept = std::llround(static_cast<double>(heads) * (1.0 - sparsity));
  std::vector<at::Tensor> sets = random_kept_sets(heads, kept, set_count, gpu);
  double groups = mean_kept_groups(sets);
  double seconds = gpu_timed_loop(state, [&](int64_t i) {
    benchmark::DoNotOptimize(head_sparse_attention_cuda(c.w, c.step, sets[i % set_count]));
  });
  bandwidth_counters(state, head_step_bytes(kept, groups, context + 1, dtype), seconds, c.dense_seconds);
  state.counters["kept_groups"] = groups;
  state.counters["speedup"] = c.dense_seconds / seconds;
}

// ---- anchor/reuse attention over a cache (the attention alone, no projections) ----
struct kascade_case {
  anchor_reuse_step step;
  double dense_seconds = 0;
};

kascade_case& get_kascade_case(at::ScalarType dtype, int64_t context) {
  return current_case<kascade_case>(fmt::format("kascade/{}/{}", dtype_tag(dtype), context), [&] {
    at::manual_seed(1);
    auto c = std::make_unique<kascade_case>();
    auto on_gpu = at::TensorOptions().device(gpu);
    c->step.q = at::randn({1, heads, hd}, on_gpu).to(dtype);
    c->step.k = at::randn({kv_heads, context, hd}, on_gpu).to(dtype);
    c->step.v = at::randn({kv_heads, context, hd}, on_gpu).to(dtype);
    c->step.score_scale = 1.0 / std::sqrt(static_cast<double>(hd));
    c->step.tile = tile;
    c->dense_seconds = gpu_median_seconds([&] { benchmark::DoNotOptimize(dense_cache_attention(c->step)); }, 30);
    return c;
  });
}

void bm_kascade_dense(benchmark::State& state, at::ScalarType dtype, int64_t context) {
  c10::NoGradGuard no_grad;
  kascade_case& c = get_kascade_case(dtype, context);
  double seconds = gpu_timed_loop(state, [&](int64_t) { benchmark::DoNotOptimize(dense_cache_attention(c.step)); });
  double bytes = 2.0 * static_cast<double>(kv_heads * context * hd * at::elementSize(dtype));
  bandwidth_counters(state, bytes, seconds, c.dense_seconds);
}

void bm_kascade_anchor(benchmark::State& state, at::ScalarType dtype, int64_t context, int64_t top_k) {
  c10::NoGradGuard no_grad;
  kascade_case& c = get_kascade_case(dtype, context);
  double seconds =
      gpu_timed_loop(state, [&](int64_t) { benchmark::DoNotOptimize(anchor_attention_cuda(c.step, top_k)); });
  state.counters["speedup"] = c.dense_seconds / seconds;
  state.counters["dense_us"] = c.dense_seconds * 1e6;
}

void bm_kascade_reuse(benchmark::State& state, at::ScalarType dtype, int64_t context, int64_t top_k) {
  c10::NoGradGuard no_grad;
  kascade_case& c = get_kascade_case(dtype, context);
  std::vector<reuse_selection> sets = random_reuse_selections(tile_count(context, tile), top_k, set_count, gpu);
  double seconds = gpu_timed_loop(state, [&](int64_t i) {
    const reuse_selection& r = sets[i % set_count];
    benchmark::DoNotOptimize(reuse_attention_cuda(c.step, r.tiles, r.head_map));
  });
  state.counters["keys"] = static_cast<double>(top_k * tile) / static_cast<double>(context);
  state.counters["speedup"] = c.dense_seconds / seconds;
  state.counters["dense_us"] = c.dense_seconds * 1e6;
}

void register_all() {
  if (!sparse_mlp_cuda_built() || !at::hasCUDA()) fail("bench_gpu_kernels: needs a GPU (this process sees none)");
  auto unit = [](benchmark::internal::Benchmark* b) { b->Unit(benchmark::kMicrosecond); };
  for (const mlp_shape& s : mlp_shapes)
    for (at::ScalarType dtype : {at::kBFloat16, at::kFloat}) {
      std::string tag = fmt::format("{}/{}", s.name, dtype_tag(dtype));
      unit(benchmark::RegisterBenchmark(("mlp_dense/" + tag).c_str(), bm_mlp_dense, s, dtype));
      for (double sparsity : {0.0, 0.5, 0.7, 0.8, 0.9, 0.95})
        unit(benchmark::RegisterBenchmark(fmt::format("mlp_sparse/{}/s={:.2f}", tag, sparsity).c_str(), bm_mlp_sparse,
                                          s, dtype, sparsity));
      unit(benchmark::RegisterBenchmark(("mlp_predictor/" + tag).c_str(), bm_mlp_predictor, s, dtype));
    }
  for (at::ScalarType dtype : {at::kBFloat16, at::kFloat})
    for (int64_t context : {512, 2048, 8192}) {
      std::string tag = fmt::format("llama-3.2-3b/{}/ctx={}", dtype_tag(dtype), context);
      unit(benchmark::RegisterBenchmark(("attn_dense/" + tag).c_str(), bm_attn_dense, dtype, context));
      for (double sparsity : {0.0, 0.5, 0.7, 0.9})
        unit(benchmark::RegisterBenchmark(fmt::format("attn_head_sparse/{}/s={:.2f}", tag, sparsity).c_str(),
                                          bm_attn_head_sparse, dtype, context, sparsity));
      unit(benchmark::RegisterBenchmark(("kascade_dense/" + tag).c_str(), bm_kascade_dense, dtype, context));
      int64_t quarter = tile_count(context, tile) / 4;
      unit(benchmark::RegisterBenchmark(fmt::format("kascade_anchor/{}/k={}", tag, quarter).c_str(),
                                        bm_kascade_anchor, dtype, context, quarter));
      std::vector<int64_t> ks = {8};
      if (quarter != 8) ks.push_back(quarter);
      for (int64_t top_k : ks)
        unit(benchmark::RegisterBenchmark(fmt::format("kascade_reuse/{}/k={}", tag, top_k).c_str(), bm_kascade_reuse,
                                          dtype, context, top_k));
    }
}

}  // namespace
}  // namespace harness::bench

int main(int argc, char** argv) {
  try {
    return harness::bench::run_registered_benchmarks(argc, argv, harness::bench::register_all);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  }
}
