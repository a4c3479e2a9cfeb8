// scale_estimate.h: closed-form estimates of what a model costs, from its config alone: parameters,
// forward FLOPs per token, and the working memory one forward pass holds on top of the weights. The
// scale_check case compares the memory estimate with what it measures on CPU, then uses these to project
// the paper presets onto a GPU. Estimates, not measurements: every result that uses them says so.
#pragma once
#include <cstdint>

#include "runtime/model_config.h"

namespace harness {

// Elements of every weight the forward reads (a tied head counted once).
uint64_t parameter_count(const model_config& c);

// Multiply-adds x 2 of forward passes that compute `positions` token positions through every layer,
// attending `keys` keys in all (summed over those positions), and the LM head at `logit_positions`.
double forward_flops(const model_config& c, double positions, double keys, double logit_positions);

// The same per token, with `context` keys attended (for a causal window of T tokens the mean is
// (T + 1) / 2) and the LM head.
double forward_flops_per_token(const model_config& c, double context);

// One forward pass, as the working-set estimate sees it.
struct forward_shape {
  int64_t batch = 1;
  int64_t seqlen = 0;
  int64_t kept_hidden_states = 0;  // [B, T, d] tensors an observer keeps (e.g. drift keeps L + 1)
  int64_t anchor_reuse_tile = 0;   // > 0: through anchor/reuse key masks of this tile size (kascade)
  bool last_logits_only = false;   // the head runs at the last position only (drift)
};

// The largest working set of one forward of [batch, seqlen] tokens, beyond the weights, with elements of
// `elem_bytes`: the residual stream, the bigger of one layer's transients (norm, Q/K/V/O, the MLP's three
// ffn-wide tensors, and non-fused attention's [B, H, T, T] scores and probabilities, which
// runtime/layers.cpp's softmax computes in float32 from a float32 copy of the scores) and the head's
// (logits, and a float32 log-softmax of them, at every position or at the last), plus the kept hidden
// states. Through anchor/reuse key masks (kernels/anchor_reuse_calibration.h), a reuse layer's attention
// also holds its key mask as bools (the mask and its visible part) and as an additive mask, all
// [B, H, T, T]; an anchor layer first computes float32 probabilities and a copy of them (8 bytes per
// score); and every layer's chosen tiles [B, H, T, T/tile] are kept (an upper bound: only anchors keep
// theirs).
uint64_t forward_working_bytes(const model_config& c, const forward_shape& shape, int64_t elem_bytes);

}  // namespace harness
