// speed_path.h: where the forward's speed path (forward_options::kernels, runtime/decode_kernels.h) takes
// over a sub-block. It serves decode steps -- one new token per row, with a KV cache -- and a sub-block
// whose layer has a mask for it: that mask is then asked for before the sub-block runs (so only fixed
// masks or a mask source that does not read the dense values can drive it) and the sub-block's output
// comes from the kernel with the kept indices. Every other pass and sub-block runs as the accuracy path
// does. Shapes: B rows, d hidden, hd head dim.
#pragma once
#include "runtime/model.h"

namespace harness {

class speed_path {
 public:
  speed_path(const forward_options& opt, const forward_input& in, int64_t new_tokens, const model_config& config);

  // Layer `layer`'s MLP output [B, 1, d] from its normalised input x [B, 1, d] through the kernels, or
  // undefined when the MLP runs as usual (not a speed-path step, or no neuron mask for the layer).
  at::Tensor mlp(int64_t layer, const at::Tensor& x) const;
  // Layer `layer`'s attention output [B, 1, d] from its normalised input x [B, 1, d] (cos/sin [B, 1, hd] of
  // the new position, undefined without RoPE; scores scaled by score_scale), the new keys and values written
  // into the cache; or undefined when the attention runs as usual.
  at::Tensor attention(int64_t layer, const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin,
                       double score_scale) const;

 private:
  // The layer's keep mask ([W] or [B, 1, W] bool, or undefined), decided before the sub-block runs.
  at::Tensor keep_before(int64_t layer, bool mlp) const;

  const forward_options& opt_;
  int64_t neurons_ = 0, heads_ = 0;  // F and H: the widths of the MLP and head masks
  bool active_ = false;  // a decode step with kernels
  bool padded_ = false;  // some cached position is padding (the attention kernels would attend to it)
};

}  // namespace harness
