// rope.h: rotary position embeddings as transformers computes them for Llama (rotate-half layout),
// including Llama-3.1's "llama3" frequency scaling and "linear" scaling.
#pragma once
#include <ATen/ATen.h>

#include "runtime/model_config.h"

namespace harness {

// [head_dim / 2] float32 inverse frequencies (equals transformers' rotary_emb.inv_freq).
at::Tensor rope_inv_freq(const model_config& config);

// cos, sin [B, T, head_dim] in `dtype` for position_ids [B, T].
std::pair<at::Tensor, at::Tensor> rope_cos_sin(const at::Tensor& inv_freq, const at::Tensor& position_ids,
                                               at::ScalarType dtype);

// x [B, H, T, hd] rotated by cos/sin [B, T, hd] (rotate-half), broadcast over the heads; equally x [B, H, hd]
// with cos/sin [B, hd] (one decode step).
at::Tensor apply_rope(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin);

// Rows of a q or k weight [heads * head_size, in] from interleaved RoPE pairs (llama2.c, and llama.cpp's
// GGUF converter) to rotate-half order: row h*hs + c*hs/2 + j comes from row h*hs + 2j + c (c = 0, 1;
// j < hs/2).
at::Tensor interleaved_to_rotate_half(const at::Tensor& weight, int64_t heads);

}  // namespace harness
