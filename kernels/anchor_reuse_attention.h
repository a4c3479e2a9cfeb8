// anchor_reuse_attention.h: Kascade-style anchor/reuse sparse attention for decode (Deshmukh et al., arXiv
// 2512.16391). An anchor layer attends over every key and picks, per query head, the top-k key tiles by
// attention mass; a reuse layer attends only over the keys of the tiles its anchor picked, reading anchor
// head head_map[h]'s selection for its head h, with the softmax over those keys only.
//
// Shapes: T new query tokens at positions N-T .. N-1 (T = 1 for plain decode), H query heads, KV key/value
// heads (GQA: query head h reads KV head h / (H / KV)), hd head dim, N keys, tile size (16), nt =
// ceil(N / tile) tiles (the last may be partial), k kept tiles per head. Query t sees keys 0 .. N-T+t.
//
// Tile score = the SUM over the tile's keys (and over the T queries) of the head's softmax probabilities,
// not their max: what a reuse layer loses is the attention mass outside its kept keys, and Kascade measures
// both its top-k and its cross-layer similarity by that mass; the sum is the mass of a tile, so the top-k
// tiles by sum are the k tiles that keep the most of it. The tiles holding the T new tokens are always kept
// (one tile for T = 1), then the others by score, ties to the lower tile index.
#pragma once
#include <ATen/ATen.h>

namespace harness {

struct anchor_reuse_step {
  at::Tensor q;        // [T, H, hd] the new tokens' queries (post-RoPE), float32 or bfloat16
  at::Tensor k, v;     // [KV, N, hd] keys (post-RoPE) and values of positions 0 .. N-1, q's dtype and device
  double score_scale = 1.0;
  int64_t tile = 16;
};

struct anchor_output {
  at::Tensor out;    // [T, H, hd] attention over all keys, in q's dtype
  at::Tensor tiles;  // [H, k] int64, each row strictly ascending: the head's kept tiles
};

int64_t tile_count(int64_t keys, int64_t tile);  // ceil(keys / tile)

// Tile selection shared by the kernels, the calibration and the accuracy path. R rows (queries or
// groups of queries), each selecting per head among its visible tiles 0 .. last_visible[r]:
// tiles first_forced[r] .. last_visible[r] always, then the highest mass, ties to the lower index; when
// k >= the visible tiles, all visible ones. mass [R, H, nt] float32 -> keep [R, H, nt] bool.
at::Tensor tile_mass(const at::Tensor& probs, int64_t tile);  // probs [R, H, S] -> [R, H, ceil(S/tile)] sums
at::Tensor select_tiles(const at::Tensor& mass, const at::Tensor& first_forced, const at::Tensor& last_visible,
                        int64_t top_k);

// Throw harness_error naming what is wrong: shapes, dtypes, devices, tile <= 0; k not in [1, nt] or fewer
// than the tiles of the new tokens; tiles not [Ha, k] int64, unsorted, duplicated, out of range or missing
// a new token's tile; head_map not [H] int64 with values in [0, Ha).
void check_anchor_reuse_step(const anchor_reuse_step& step);
void check_anchor_top_k(const anchor_reuse_step& step, int64_t top_k);
void check_reuse_selection(const anchor_reuse_step& step, const at::Tensor& tiles, const at::Tensor& head_map);

// Reference: libtorch ops (gather of the tiles' keys, matmul, softmax in float32).
anchor_output anchor_attention_reference(const anchor_reuse_step& step, int64_t top_k);
at::Tensor reuse_attention_reference(const anchor_reuse_step& step, const at::Tensor& tiles,
                                     const at::Tensor& head_map);  // -> [T, H, hd] in q's dtype
// Optimised CPU: contiguous tile rows read in place, float32 accumulation, threads over heads.
anchor_output anchor_attention_cpu(const anchor_reuse_step& step, int64_t top_k);
at::Tensor reuse_attention_cpu(const anchor_reuse_step& step, const at::Tensor& tiles, const at::Tensor& head_map);
// CUDA (built when sparse_mlp_cuda_built(); otherwise harness_error): one block per (head, query).
anchor_output anchor_attention_cuda(const anchor_reuse_step& step, int64_t top_k);
at::Tensor reuse_attention_cuda(const anchor_reuse_step& step, const at::Tensor& tiles, const at::Tensor& head_map);

}  // namespace harness
