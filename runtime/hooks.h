// hooks.h: the named points of the forward pass through which activations are observed (recording,
// drift) and through which per-layer sparsity masks are applied. Like llama.cpp's cb(cur, name, il):
// every model passes each intermediate of interest through exactly one call here.
#pragma once
#include <ATen/ATen.h>

namespace harness {

// Shapes: B batch, T new tokens, d hidden size, H query heads, hd head dim, F MLP width.
enum class hook_point {
  attn_in,     // [B, T, d]     residual stream entering the attention sub-block, before its norm
  attn_norm,   // [B, T, d]     input of the q/k/v projections: attn_in after its norm (post-LN OPT: attn_in)
  attn_heads,  // [B, T, H, hd] per-head attention output, before the output projection (heads masked here)
  attn_out,    // [B, T, d]     attention sub-block output (after o_proj/out_proj), before the residual add
  mlp_in,      // [B, T, d]     residual stream entering the MLP sub-block, before its norm
  mlp_norm,    // [B, T, d]     input of fc1 / gate_proj and up_proj: mlp_in after its norm (post-LN OPT: mlp_in)
  mlp_act,     // [B, T, F]     input of down_proj/fc2: SiLU(gate)*up or ReLU(fc1) (neurons masked here)
  mlp_out,     // [B, T, d]     MLP sub-block output, before the residual add
  block_out,   // [B, T, d]     output of the decoder layer
};
constexpr int hook_point_count = 9;
const char* hook_point_name(hook_point p);
hook_point hook_point_from_name(const std::string& name);

// Observers see each intermediate after any mask has been applied. They may read it, not change it. A
// layer's values are on that layer's device (causal_lm::layer_device): with a model split across devices,
// what an observer or mask source keeps from several layers may lie on several devices. A sub-block run
// through the speed path's sparse kernels (runtime/speed_path.h) computes no attn_heads or mlp_act, so
// those two points are not seen for it.
struct forward_observer {
  virtual ~forward_observer() = default;
  virtual void observe(hook_point point, int64_t layer, const at::Tensor& value) = 0;
};

// Per-layer sparsity: which MLP neurons and which query heads are kept. A keep tensor is bool, either
// shared by all tokens ([F] / [H]) or per token ([B, T, F] / [B, T, H]); undefined means dense.
// Kept entries pass unchanged (multiplied by exactly 1), dropped ones are zeroed.
struct layer_mask {
  at::Tensor mlp_keep;
  at::Tensor head_keep;
};

// Masks decided while the pass runs, from what it has computed so far: predicted masks (a predictor
// reads an earlier residual stream) and oracle masks (the true top-k of the dense values). A source
// first sees every hook point as an observer does (attn_in, attn_norm, ... in order); just before a
// layer's mask is applied it is asked for it, given the unmasked values. Undefined means dense.
struct mask_source : forward_observer {
  // heads [B, T, H, hd] -> keep [B, T, H] bool (or [H], or undefined)
  virtual at::Tensor head_keep(int64_t layer, const at::Tensor& heads) = 0;
  // act [B, T, F] -> keep [B, T, F] bool (or [F], or undefined)
  virtual at::Tensor mlp_keep(int64_t layer, const at::Tensor& act) = 0;
  // Whether head_keep/mlp_keep read the values they are given (oracle masks do). The speed path
  // (forward_options::kernels) asks before computing those values and passes undefined ones, so it takes
  // only a source that decides from what it has observed (predicted masks).
  virtual bool reads_values() const { return true; }
  // Attention keys (Kascade-style anchor/reuse sparse attention), asked just before a layer's attention:
  // q [B, H, T, hd] as attention() gets it (post-RoPE; OPT: already scaled), k [B, KV, S, hd], mask
  // [B, 1, T, S] the additive causal/padding mask, score_scale as attention() applies it -> keep
  // [B, H, T, S] bool: the keys each query may attend, on top of the mask; undefined (the default): all.
  virtual at::Tensor key_keep(int64_t /*layer*/, const at::Tensor& /*q*/, const at::Tensor& /*k*/,
                              const at::Tensor& /*mask*/, double /*score_scale*/) {
    return {};
  }
};

}  // namespace harness
