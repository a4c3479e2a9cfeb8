// kernels_cuda_absent.cpp: the CUDA kernels in builds without HARNESS_CUDA: they say so.
#include "kernels/anchor_reuse_attention.h"
#include "kernels/head_sparse_attention.h"
#include "kernels/sparse_mlp.h"
#include "runtime/error.h"

namespace harness {

bool sparse_mlp_cuda_built() { return false; }

at::Tensor sparse_mlp_cuda(const sparse_mlp_weights&, const at::Tensor&, const at::Tensor&) {
  fail("sparse MLP (CUDA): this build has no CUDA code (configure with HARNESS_CUDA=ON)");
}

at::Tensor head_sparse_attention_cuda(const head_sparse_attention_weights&, const decode_step&, const at::Tensor&) {
  fail("head-sparse attention (CUDA): this build has no CUDA code (configure with HARNESS_CUDA=ON)");
}

anchor_output anchor_attention_cuda(const anchor_reuse_step&, int64_t) {
  fail("anchor attention (CUDA): this build has no CUDA code (configure with HARNESS_CUDA=ON)");
}

at::Tensor reuse_attention_cuda(const anchor_reuse_step&, const at::Tensor&, const at::Tensor&) {
  fail("reuse attention (CUDA): this build has no CUDA code (configure with HARNESS_CUDA=ON)");
}

}  // namespace harness
