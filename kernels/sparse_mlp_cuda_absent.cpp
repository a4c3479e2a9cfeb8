// sparse_mlp_cuda_absent.cpp: the CUDA sparse MLP in builds without HARNESS_CUDA: it says so.
#include "kernels/sparse_mlp.h"
#include "runtime/error.h"

namespace harness {

bool sparse_mlp_cuda_built() { return false; }

at::Tensor sparse_mlp_cuda(const sparse_mlp_weights&, const at::Tensor&, const at::Tensor&) {
  fail("sparse MLP (CUDA): this build has no CUDA code (configure with HARNESS_CUDA=ON)");
}

}  // namespace harness
