// layers.h: the pieces both architectures share: norms, attention with an additive mask, and the
// application of sparsity masks at their hook points.
#pragma once
#include <ATen/ATen.h>

#include "runtime/hooks.h"

namespace harness {

// x [.., d] -> [.., d]; computed in float32 and cast back, as transformers' LlamaRMSNorm does.
at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps);

// Additive attention mask [B, 1, T, P+T]: 0 where query i (absolute position P+i) may see key j
// (j <= P+i and mask[b, j] == 1), the dtype's lowest value elsewhere (a fully masked row becomes
// uniform rather than NaN, as in transformers' eager attention).
at::Tensor causal_padding_mask(const at::Tensor& attention_mask, int64_t batch, int64_t past, int64_t new_tokens,
                               at::ScalarType dtype, const at::Device& device);
// The value the additive mask holds where a key is hidden: the dtype's lowest (float32 or bfloat16).
double masked_score(at::ScalarType dtype);

// q [B, H, T, hd], k/v [B, KV, S, hd] (H a multiple of KV), mask [B, 1, T, S] -> [B, T, H, hd].
// Scores are q.k^T * score_scale; softmax runs in float32.
at::Tensor attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& mask,
                     double score_scale);

// Throws harness_error unless keep is bool [width] (shared by all tokens) or [batch, tokens, width].
void check_keep_mask(const at::Tensor& keep, int64_t batch, int64_t tokens, int64_t width, const char* what,
                     int64_t layer);
// Zeroes dropped neurons of act [B, T, F] / dropped heads of heads [B, T, H, hd]; no-op when undefined.
at::Tensor apply_mlp_keep(const at::Tensor& act, const at::Tensor& keep, int64_t layer);
at::Tensor apply_head_keep(const at::Tensor& heads, const at::Tensor& keep, int64_t layer);

}  // namespace harness
