#include "experiments/scale_estimate.h"

#include <algorithm>

namespace harness {

uint64_t parameter_count(const model_config& c) {
  const uint64_t d = c.hidden_size, f = c.intermediate_size, v = c.vocab_size, layers = c.num_layers;
  const uint64_t q = c.num_heads * c.head_dim, kv = c.num_kv_heads * c.head_dim;
  if (c.arch == model_arch::llama) {
    uint64_t attn = d * q + 2 * d * kv + q * d + (c.attention_bias ? q + 2 * kv + d : 0);
    uint64_t mlp = 3 * d * f + (c.mlp_bias ? 2 * f + d : 0);
    uint64_t per_layer = attn + mlp + 2 * d;  // two RMSNorms
    return v * d * (c.tie_word_embeddings ? 1 : 2) + layers * per_layer + d;
  }
  const uint64_t e = c.word_embed_proj_dim, bias = c.enable_bias ? 1 : 0;
  const uint64_t norm = c.layer_norm_elementwise_affine ? 2 * d : 0;
  uint64_t per_layer = 4 * d * d + 4 * d * bias + 2 * d * f + (f + d) * bias + 2 * norm;
  uint64_t embeddings = v * e * (c.tie_word_embeddings ? 1 : 2) + (c.max_position_embeddings + 2) * d;
  uint64_t projections = c.has_projections() ? 2 * d * e : 0;
  uint64_t final_norm = c.do_layer_norm_before ? norm : 0;
  return embeddings + projections + layers * per_layer + final_norm;
}

double forward_flops(const model_config& c, double positions, double keys, double logit_positions) {
  const double d = c.hidden_size, f = c.intermediate_size, v = c.vocab_size, layers = c.num_layers;
  const double q = c.num_heads * c.head_dim, kv = c.num_kv_heads * c.head_dim;
  const double mlp_matrices = c.arch == model_arch::llama ? 3 : 2;
  double projections = 2 * (d * q + 2 * d * kv + q * d + mlp_matrices * d * f);  // per position and layer
  double attention = 4 * q;                                                      // Q K^T and P V, per key
  double head = 2 * v * (c.has_projections() ? c.word_embed_proj_dim : d);       // per logit position
  return layers * (projections * positions + attention * keys) + head * logit_positions;
}

double forward_flops_per_token(const model_config& c, double context) { return forward_flops(c, 1, context, 1); }

uint64_t forward_working_bytes(const model_config& c, const forward_shape& shape, int64_t elem_bytes) {
  const uint64_t batch = static_cast<uint64_t>(shape.batch), t = static_cast<uint64_t>(shape.seqlen);
  const uint64_t tokens = batch * t, b = static_cast<uint64_t>(elem_bytes);
  const uint64_t d = c.hidden_size, f = c.intermediate_size, v = c.vocab_size;
  const uint64_t q = c.num_heads * c.head_dim, kv = c.num_kv_heads * c.head_dim;
  const uint64_t scores = batch * c.num_heads * t * t;  // [B, H, T, T]
  // Per score at the softmax: the scores and the float32 probabilities, and below float32 the scores'
  // float32 copy the softmax makes first.
  uint64_t bytes_per_score = b < 4 ? b + 8 : 2 * b;
  uint64_t kept = static_cast<uint64_t>(shape.kept_hidden_states) * tokens * d * b;
  if (shape.anchor_reuse_tile > 0) {
    // A reuse layer adds its bool key mask, the mask's visible part and the additive mask; an anchor layer
    // computes float32 probabilities and a copy of them before its own attention.
    bytes_per_score = std::max(bytes_per_score + 2 + b, uint64_t{8});
    const uint64_t tile = static_cast<uint64_t>(shape.anchor_reuse_tile), tiles = (t + tile - 1) / tile;
    kept += static_cast<uint64_t>(c.num_layers) * batch * c.num_heads * t * tiles;  // every layer's tiles (bools)
  }
  uint64_t residual = 2 * tokens * d * b;                                            // x and the block output
  uint64_t attention = tokens * (d + q + 2 * kv + q) * b + scores * bytes_per_score;  // norm, Q, K, V, context; scores
  uint64_t mlp = tokens * (d + 3 * f) * b;                                           // norm, up/gate, activation
  uint64_t head = (shape.last_logits_only ? batch : tokens) * v * (b + 2 * 4);       // logits, f32 log-softmax
  return residual + std::max({attention, mlp, head}) + kept;
}

}  // namespace harness
