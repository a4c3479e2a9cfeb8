// anchor_reuse_calibration.h: Kascade-style calibration of the anchor/reuse schedule, and the schedule
// applied in the model's forward (accuracy path). Both attach to the forward as a mask_source through its
// key_keep point (runtime/hooks.h), which sees each layer's queries and keys.
//
// Selections: for a query at position p, a head keeps the top-k tiles of its attention mass among the
// tiles it can see, always the tile holding p (select_tiles). Similarity of layer j to an earlier layer i,
// as Kascade measures it, per (j's head h, i's head g): the attention mass of j's head h that falls in i's
// head g's tiles, divided by the mass j's head h keeps with its own top-k tiles, averaged over sampled
// queries (1 = reusing i's tiles loses nothing against j's own). The head map sends h to the g with the
// highest similarity (ties to the lower g); the layer's similarity is its heads' mean at their mapped head.
// The fraction of overlapping tiles (|tiles_i,g & tiles_j,h| / |tiles_j,h|) is reported beside it.
//
// Greedy choice: layer 0 is an anchor; layer j reuses the latest anchor a when j - a <= max_reuse_distance
// and 1 - similarity(a, j) <= threshold (threshold 0.1: the reuse layer may lose at most 10% of the mass its
// own top-k would keep); otherwise j becomes an anchor.
#pragma once
#include <map>
#include <vector>

#include "kernels/anchor_reuse_schedule.h"
#include "runtime/hooks.h"

namespace harness {

// Post-softmax attention probabilities [B, H, T, S] (float32) of q [B, H, T, hd] against k [B, KV, S, hd]
// under the additive mask [B, 1, T, S], as runtime/layers.cpp's attention computes them.
at::Tensor attention_probs(const at::Tensor& q, const at::Tensor& k, const at::Tensor& mask, double score_scale);

// Per-query tile selection of probs [R, H, S] for queries at positions [R] -> {mass, keep}, each [R, H, nt].
struct layer_selections {
  at::Tensor mass;  // float32 attention mass per tile
  at::Tensor keep;  // bool, the query's top-k tiles
};
layer_selections select_query_tiles(const at::Tensor& probs, const at::Tensor& positions, int64_t tile,
                                    int64_t top_k);

struct layer_similarity {
  std::vector<int64_t> head_map;  // [H] best anchor head per head
  double similarity = 0;          // mean over heads of the mass ratio at the mapped head
  double overlap = 0;             // mean over heads of the tile overlap at the mapped head
};
// How well `anchor`'s selections serve `later`'s queries (both from the same sampled queries).
layer_similarity compare_layers(const layer_selections& anchor, const layer_selections& later);

struct calibration_step {
  int64_t layer = 0;
  int64_t candidate = -1;    // the latest anchor it was compared with (-1 for layer 0)
  layer_similarity versus;   // against the candidate (empty for layer 0 or beyond the reuse distance)
  bool reuse = false;
};
// The greedy choice above over every layer's selections; `steps` (if set) receives each decision.
anchor_reuse_schedule choose_schedule(const std::vector<layer_selections>& layers, int64_t tile, int64_t top_k,
                                      int64_t max_reuse_distance, double threshold,
                                      std::vector<calibration_step>* steps = nullptr);

// Records every layer's selections at the given query positions of each forward (dense: keeps all keys).
class selection_recorder final : public mask_source {
 public:
  selection_recorder(int64_t tile, int64_t top_k, std::vector<int64_t> positions);
  void observe(hook_point, int64_t, const at::Tensor&) override {}
  at::Tensor head_keep(int64_t, const at::Tensor&) override { return {}; }
  at::Tensor mlp_keep(int64_t, const at::Tensor&) override { return {}; }
  at::Tensor key_keep(int64_t layer, const at::Tensor& q, const at::Tensor& k, const at::Tensor& mask,
                      double score_scale) override;
  // Every recorded layer, rows of all forwards so far concatenated.
  std::vector<layer_selections> selections() const;

 private:
  int64_t tile_, top_k_;
  std::vector<int64_t> positions_;
  std::map<int64_t, std::vector<layer_selections>> recorded_;
};

// Applies a schedule in the forward: an anchor layer attends densely and records, for every query, its own
// top-k tiles; a reuse layer's head h attends only the tiles its anchor's head head_map[h] chose for the
// same query. Counts the keys attended against the keys visible.
class anchor_reuse_masks final : public mask_source {
 public:
  explicit anchor_reuse_masks(anchor_reuse_schedule schedule);
  void observe(hook_point, int64_t, const at::Tensor&) override {}
  at::Tensor head_keep(int64_t, const at::Tensor&) override { return {}; }
  at::Tensor mlp_keep(int64_t, const at::Tensor&) override { return {}; }
  at::Tensor key_keep(int64_t layer, const at::Tensor& q, const at::Tensor& k, const at::Tensor& mask,
                      double score_scale) override;
  double attended_fraction() const;             // all layers
  double attended_fraction(int64_t layer) const;  // one layer

 private:
  anchor_reuse_schedule schedule_;
  // anchor layer -> the tiles each head kept per query in the current pass [B, H, T, nt] (kept per tile,
  // not per key: a tile's worth smaller; reuse layers expand them to keys)
  std::map<int64_t, at::Tensor> anchor_tiles_;
  std::map<int64_t, std::pair<double, double>> counts_;  // layer -> (attended, visible) (query, head, key)s
};

}  // namespace harness
