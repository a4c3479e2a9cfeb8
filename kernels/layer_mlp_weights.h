// layer_mlp_weights.h: one decoder layer's MLP weights read from a Hugging Face checkpoint and prepared
// for the sparse MLP kernels (sparse_mlp.h): Llama's gate/up/down_proj or OPT's fc1/fc2, with biases
// when the checkpoint has them.
#pragma once
#include <string>

#include "kernels/sparse_mlp.h"
#include "runtime/model_config.h"

namespace harness {

sparse_mlp_weights load_layer_mlp(const std::string& model_dir, const model_config& config, int64_t layer,
                                  at::ScalarType dtype, const at::Device& device);

}  // namespace harness
