// layer_attention_weights.h: one decoder layer's attention weights, taken from a loaded model and prepared
// for the head-sparse attention kernels (head_sparse_attention.h): Llama's q/k/v/o_proj or OPT's
// q/k/v/out_proj, with biases when the model has them. q, k and v are the model's own tensors; o^T is a copy.
#pragma once
#include "kernels/head_sparse_attention.h"
#include "runtime/model.h"

namespace harness {

head_sparse_attention_weights load_layer_attention(const causal_lm& model, int64_t layer);

}  // namespace harness
