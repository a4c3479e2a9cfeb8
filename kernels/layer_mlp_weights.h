// layer_mlp_weights.h: one decoder layer's MLP weights, taken from a loaded model and prepared for the
// sparse MLP kernels (sparse_mlp.h): Llama's gate/up/down_proj or OPT's fc1/fc2, with biases when the
// model has them. gate/up and fc1 are the model's own tensors; down^T and fc2^T are copies.
#pragma once
#include "kernels/sparse_mlp.h"
#include "runtime/model.h"

namespace harness {

// Refuses a model whose MLP activation the kernels do not compute (OPT: relu; Llama: silu).
sparse_mlp_weights load_layer_mlp(const causal_lm& model, int64_t layer);

}  // namespace harness
