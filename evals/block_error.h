// block_error.h: how far sparse inference moves each layer's output: for every layer l, over the same
// token windows, ||block_out_sparse(l) - block_out_dense(l)|| / ||block_out_dense(l)|| (Frobenius norms
// over all tokens). The error compounds: layer l's includes what earlier layers' sparsity changed.
#pragma once
#include <vector>

#include "runtime/model.h"

namespace harness {

// windows [W, T] int64 token ids, run `batch` at a time; returns one relative error per layer.
std::vector<double> block_output_error(causal_lm& model, const at::Tensor& windows, mask_source& masks, int64_t batch);

}  // namespace harness
