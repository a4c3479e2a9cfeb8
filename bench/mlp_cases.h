// mlp_cases.h: what the sparse MLP benchmarks (CPU and GPU) share: the model shapes, one shape's random
// weights in the checkpoint layout and the kernels' layout, libtorch's dense MLP (the baseline) and the
// weight bytes a kernel keeping K neurons must read.
#pragma once
#include <ATen/ATen.h>

#include "kernels/sparse_mlp.h"

namespace harness::bench {

struct mlp_shape {
  const char* name;
  mlp_kind kind;
  int64_t d, f;
};
constexpr mlp_shape llama_3_2_3b_mlp{"llama-3.2-3b", mlp_kind::swiglu, 3072, 8192};
constexpr mlp_shape llama_3_1_8b_mlp{"llama-3.1-8b", mlp_kind::swiglu, 4096, 14336};
constexpr mlp_shape opt_6_7b_mlp{"opt-6.7b", mlp_kind::relu, 4096, 16384};
constexpr int64_t predictor_rank = 1000;  // DejaVu's MLP predictor: d -> 1000 -> F

struct mlp_weights {
  at::Tensor w_in, w_up, w_out, b_in, b_out;  // [F, d], [F, d], [d, F], [F], [d] as in the checkpoint
  sparse_mlp_weights prepared;
  at::Tensor pred1, pred2;  // [1000, d], [F, 1000]
  at::Tensor x;             // [1, d]: one decoded token
};

// Random weights (matrices scaled by 1/sqrt(columns); biases for ReLU/OPT only) made on `device` from
// the current seed, in `dtype`.
mlp_weights random_mlp_weights(const mlp_shape& s, at::ScalarType dtype, at::Device device);
// libtorch's dense MLP on the checkpoint layout: [1, d].
at::Tensor dense_mlp(const mlp_weights& w);
// Bytes of the weight rows a kernel keeping `kept` neurons reads (3 matrices for SwiGLU, 2 for ReLU).
double mlp_weight_bytes(const mlp_shape& s, at::ScalarType dtype, int64_t kept);

}  // namespace harness::bench
