// attention_cases.h: what the attention benchmarks (CPU and GPU) share: Llama-3.2-3B's attention shapes,
// a random decode step, libtorch's dense decode attention (the baseline every sparse kernel is compared
// with), the bytes a head-sparse step reads, and random reuse-layer tile selections.
#pragma once
#include <vector>

#include <ATen/ATen.h>

#include "kernels/anchor_reuse_attention.h"
#include "kernels/head_sparse_attention.h"

namespace harness::bench {

// Llama-3.2-3B: d 3072, 24 query heads in 8 KV groups, head dim 128; Kascade's tiles of 16 keys.
constexpr int64_t attention_d = 3072, attention_heads = 24, attention_kv_heads = 8, attention_hd = 128,
                  attention_tile = 16;

// A random decode step on `device` at `context` cached tokens: x [1, d], K/V caches [1, KV, context + 1, hd]
// (the new token is written at position context), RoPE cos/sin [1, hd] of random angles. Draws x, the
// caches and the angles, in that order.
decode_step random_decode_step(int64_t context, at::ScalarType dtype, at::Device device);

// Bytes a head-sparse step must read: Q and o_proj rows of the kept heads, K/V rows and `length` cached
// rows of the kept groups.
double head_step_bytes(int64_t kept_heads, double kept_groups, int64_t length, at::ScalarType dtype);
// The mean number of KV groups that sets of kept query heads touch.
double mean_kept_groups(const std::vector<at::Tensor>& kept_head_sets);

// One dense decode step of the layer: Q/K/V projections of s.x ([1, d]), the new K/V written at position
// s.past, attention over the cache (one matmul per KV group: no copy of the cache per query head, no
// RoPE), o_proj ([d, H*hd], the checkpoint layout). -> [1, d]
at::Tensor dense_decode_attention(const head_sparse_attention_weights& w, const at::Tensor& o_proj,
                                  const decode_step& s);
// Dense attention of one token over a cache (no projections): s.q [1, H, hd], s.k/s.v [KV, N, hd] -> [1, H, hd].
at::Tensor dense_cache_attention(const anchor_reuse_step& s);

struct reuse_selection {
  at::Tensor tiles;     // [H, k] int64, each row ascending and holding the newest tile (nt - 1)
  at::Tensor head_map;  // [H] int64, random anchor heads
};
// `count` random selections of k of nt tiles per head, on `device`.
std::vector<reuse_selection> random_reuse_selections(int64_t nt, int64_t top_k, int count, at::Device device);

}  // namespace harness::bench
