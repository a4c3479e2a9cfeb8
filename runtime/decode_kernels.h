// decode_kernels.h: the forward's speed path. On a decode step (one new token per row, with a KV cache)
// a layer whose masks drop MLP neurons or attention heads can have that sub-block computed by a sparse
// kernel that skips the dropped work, instead of computing it densely and zeroing the dropped part (the
// accuracy path). The kernels themselves live in kernels/ (kernels/model_kernels.h implements this
// interface); the models only call through it. Shapes: B rows, d hidden, KV key/value heads, hd head dim.
#pragma once
#include <ATen/ATen.h>

namespace harness {

// One decode step of one layer's attention, as the head-sparse kernels take it.
struct decode_step {
  at::Tensor x;         // [B, d] the new tokens' normalised attention input, in the weights' dtype
  at::Tensor cos, sin;  // [B, hd] RoPE of the new position (rotate-half layout); undefined: no RoPE (OPT)
  at::Tensor k_cache;   // [B, KV, capacity, hd] post-RoPE keys in the weights' dtype; [0, past) filled
  at::Tensor v_cache;   // [B, KV, capacity, hd]
  int64_t past = 0;     // the new token goes to position `past` (< capacity)
  double score_scale = 1.0;
};

class decode_kernels {
 public:
  virtual ~decode_kernels() = default;
  // Layer `layer`'s MLP sub-block output [B, d] for its normalised input x [B, d], from the kept neurons
  // only: kept [K] int64, strictly ascending.
  virtual at::Tensor mlp(int64_t layer, const at::Tensor& x, const at::Tensor& kept) = 0;
  // Layer `layer`'s attention sub-block output [B, d] (after the output projection) from the kept query
  // heads only (kept [Hk] int64, strictly ascending); writes the new token's keys and values into the
  // step's caches at position `past`.
  virtual at::Tensor attention(int64_t layer, const decode_step& step, const at::Tensor& kept) = 0;
};

}  // namespace harness
