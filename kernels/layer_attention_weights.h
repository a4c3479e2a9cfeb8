// layer_attention_weights.h: one decoder layer's attention weights read from a Hugging Face checkpoint and
// prepared for the head-sparse attention kernels (head_sparse_attention.h): Llama's q/k/v/o_proj or OPT's
// q/k/v/out_proj, with biases when the checkpoint has them.
#pragma once
#include <string>

#include "kernels/head_sparse_attention.h"
#include "runtime/model_config.h"

namespace harness {

head_sparse_attention_weights load_layer_attention(const std::string& model_dir, const model_config& config,
                                                   int64_t layer, at::ScalarType dtype, const at::Device& device);

}  // namespace harness
