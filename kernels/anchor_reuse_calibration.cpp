// anchor_reuse_calibration.cpp: selections, cross-layer similarity, the greedy anchor choice, and the
// recording and applying mask sources of anchor/reuse attention.
#include "kernels/anchor_reuse_calibration.h"

#include "kernels/anchor_reuse_attention.h"
#include "runtime/error.h"
#include "runtime/tensor_util.h"

namespace harness {

at::Tensor attention_probs(const at::Tensor& q, const at::Tensor& k, const at::Tensor& mask, double score_scale) {
  int64_t groups = q.size(1) / k.size(1);
  at::Tensor keys = groups == 1 ? k : k.repeat_interleave(groups, 1);                    // [B, H, S, hd]
  at::Tensor scores = at::matmul(q, keys.transpose(2, 3)).to(at::kFloat);  // [B, H, T, S]
  scores.mul_(score_scale).add_(mask.to(at::kFloat));  // in place: one [B, H, T, S] float tensor fewer at a time
  return at::softmax(scores, -1);
}

layer_selections select_query_tiles(const at::Tensor& probs, const at::Tensor& positions, int64_t tile,
                                    int64_t top_k) {
  at::Tensor mass = tile_mass(probs, tile);  // [R, H, nt]
  at::Tensor own = positions.to(probs.device()).div(tile, "floor");
  return {mass, select_tiles(mass, own, own, top_k)};
}

layer_similarity compare_layers(const layer_selections& anchor, const layer_selections& later) {
  at::Tensor mass = later.mass.to(at::kFloat);           // [R, H, nt]
  at::Tensor mine = later.keep.to(at::kFloat);           // [R, H, nt]
  at::Tensor theirs = anchor.keep.to(at::kFloat);        // [R, G, nt]
  at::Tensor own = (mass * mine).sum(-1, true);          // [R, H, 1] mass kept by the layer's own top-k
  at::Tensor sim = (at::matmul(mass, theirs.transpose(1, 2)) / own).mean(0);                   // [H, G]
  at::Tensor overlap = (at::matmul(mine, theirs.transpose(1, 2)) / mine.sum(-1, true)).mean(0);  // [H, G]
  sim = sim.to(at::kDouble).contiguous();
  overlap = overlap.to(at::kDouble).contiguous();
  int64_t heads = sim.size(0), anchor_heads = sim.size(1);
  const double* s = sim.data_ptr<double>();
  const double* o = overlap.data_ptr<double>();
  layer_similarity out;
  for (int64_t h = 0; h < heads; ++h) {
    int64_t best = 0;
    for (int64_t g = 1; g < anchor_heads; ++g)
      if (s[h * anchor_heads + g] > s[h * anchor_heads + best]) best = g;  // strict: ties stay with the lower g
    out.head_map.push_back(best);
    out.similarity += s[h * anchor_heads + best] / static_cast<double>(heads);
    out.overlap += o[h * anchor_heads + best] / static_cast<double>(heads);
  }
  return out;
}

anchor_reuse_schedule choose_schedule(const std::vector<layer_selections>& layers, int64_t tile, int64_t top_k,
                                      int64_t max_reuse_distance, double threshold,
                                      std::vector<calibration_step>* steps) {
  if (layers.empty()) fail("anchor/reuse calibration: no layers were recorded");
  anchor_reuse_schedule s;
  s.tile = tile;
  s.top_k = top_k;
  s.max_reuse_distance = max_reuse_distance;
  s.layers = static_cast<int64_t>(layers.size());
  s.heads = layers[0].keep.size(1);
  for (int64_t j = 0; j < s.layers; ++j) {
    calibration_step step;
    step.layer = j;
    if (j > 0) {
      step.candidate = s.anchors.back();
      if (j - step.candidate <= max_reuse_distance) {
        step.versus = compare_layers(layers[step.candidate], layers[j]);
        step.reuse = 1.0 - step.versus.similarity <= threshold;
      }
    }
    if (step.reuse)
      s.reuse[j] = {step.candidate, step.versus.head_map};
    else
      s.anchors.push_back(j);
    if (steps) steps->push_back(step);
  }
  validate_schedule(s, "calibrated schedule");
  return s;
}

selection_recorder::selection_recorder(int64_t tile, int64_t top_k, std::vector<int64_t> positions)
    : tile_(tile), top_k_(top_k), positions_(std::move(positions)) {}

at::Tensor selection_recorder::key_keep(int64_t layer, const at::Tensor& q, const at::Tensor& k, const at::Tensor& mask,
                                        double score_scale) {
  int64_t batch = q.size(0), heads = q.size(1), t = q.size(2), s = k.size(2);
  at::Tensor rows = at::tensor(positions_, at::kLong);  // [Q] absolute positions
  if (rows.numel() == 0 || rows.max().item<int64_t>() >= s || rows.min().item<int64_t>() < s - t)
    fail("anchor/reuse calibration: sampled positions must lie among the pass's {} new tokens ({} .. {})", t, s - t,
         s - 1);
  at::Tensor probs = attention_probs(q, k, mask, score_scale).index_select(2, (rows - (s - t)).to(q.device()));
  probs = probs.permute({0, 2, 1, 3}).reshape({-1, heads, s}).cpu();  // [B*Q, H, S]
  recorded_[layer].push_back(select_query_tiles(probs, rows.repeat({batch}), tile_, top_k_));
  return {};
}

std::vector<layer_selections> selection_recorder::selections() const {
  std::vector<layer_selections> out;
  for (const auto& [layer, parts] : recorded_) {
    if (layer != static_cast<int64_t>(out.size())) fail("anchor/reuse calibration: layer {} was not recorded", out.size());
    std::vector<at::Tensor> mass, keep;
    for (const layer_selections& p : parts) {
      mass.push_back(p.mass);
      keep.push_back(p.keep);
    }
    out.push_back({at::cat(mass), at::cat(keep)});
  }
  return out;
}

anchor_reuse_masks::anchor_reuse_masks(anchor_reuse_schedule schedule) : schedule_(std::move(schedule)) {
  validate_schedule(schedule_, "anchor/reuse masks");
}

at::Tensor anchor_reuse_masks::key_keep(int64_t layer, const at::Tensor& q, const at::Tensor& k, const at::Tensor& mask,
                                        double score_scale) {
  int64_t batch = q.size(0), heads = q.size(1), t = q.size(2), s = k.size(2), tile = schedule_.tile;
  if (layer >= schedule_.layers || heads != schedule_.heads)
    fail("anchor/reuse masks: the schedule is for {} layers of {} heads; layer {} has {} heads", schedule_.layers,
         schedule_.heads, layer, heads);
  at::Tensor visible = (mask == 0).expand({batch, heads, t, s});  // [B, H, T, S]
  at::Tensor keep;
  if (schedule_.is_anchor(layer)) {
    at::Tensor probs = attention_probs(q, k, mask, score_scale).permute({0, 2, 1, 3}).reshape({-1, heads, s});
    at::Tensor positions = at::arange(s - t, s, at::TensorOptions().dtype(at::kLong).device(q.device())).repeat({batch});
    at::Tensor tiles = select_query_tiles(probs, positions, tile, schedule_.top_k).keep;  // [B*T, H, nt]
    anchor_tiles_[layer] = tiles.view({batch, t, heads, -1}).permute({0, 2, 1, 3});        // [B, H, T, nt]
  } else {
    const reuse_layer& r = schedule_.reuse.at(layer);
    at::Tensor map = at::tensor(r.head_map, at::kLong).to(q.device());
    // The anchor's layer may be on another device.
    at::Tensor tiles = anchor_tiles_.at(r.anchor).to(q.device()).index_select(1, map);  // [B, H, T, nt]
    keep = tiles.repeat_interleave(tile, -1).narrow(-1, 0, s);                          // [B, H, T, S]
  }
  auto& [attended, all] = counts_[layer];
  all += visible.sum().item<double>();
  attended += keep.defined() ? (keep & visible).sum().item<double>() : visible.sum().item<double>();
  return keep;
}

double anchor_reuse_masks::attended_fraction() const {
  double attended = 0, all = 0;
  for (const auto& [layer, c] : counts_) {
    attended += c.first;
    all += c.second;
  }
  return all > 0 ? attended / all : 1.0;
}

double anchor_reuse_masks::attended_fraction(int64_t layer) const {
  auto it = counts_.find(layer);
  return it == counts_.end() || it->second.second == 0 ? 1.0 : it->second.first / it->second.second;
}

}  // namespace harness
