// sparse_mlp_cuda.cpp: checks the tensors of the CUDA sparse MLP and calls its raw-pointer launcher
// (sparse_mlp_cuda.cu) on the current stream. Compiled only with HARNESS_CUDA.
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include "kernels/sparse_mlp.h"
#include "kernels/sparse_mlp_cuda_launch.h"
#include "runtime/error.h"
#include "runtime/tensor_util.h"

namespace harness {

bool sparse_mlp_cuda_built() { return true; }

at::Tensor sparse_mlp_cuda(const sparse_mlp_weights& w, const at::Tensor& x, const at::Tensor& kept) {
  check_sparse_mlp_inputs(w, x, kept);  // copies kept to the host to check it
  if (!x.device().is_cuda()) fail("sparse MLP (CUDA): input is on {}", x.device().str());
  const c10::cuda::CUDAGuard on_device(x.device());  // launch on x's GPU (a layer may be on any of several)
  at::ScalarType dtype = x.scalar_type();
  if (dtype != at::kFloat && dtype != at::kBFloat16)
    fail("sparse MLP (CUDA): weights must be float32 or bfloat16, got {}", dtype_str(dtype));
  int64_t d = w.hidden(), k_count = kept.size(0);
  auto f32 = at::TensorOptions().dtype(at::kFloat).device(x.device());
  at::Tensor xs = x.reshape({-1, d}).to(at::kFloat).contiguous();  // [N, d]
  int64_t tokens = xs.size(0);
  at::Tensor idx = kept.to(x.device()).contiguous();                // [K]
  at::Tensor h = at::empty({tokens, k_count}, f32);                 // [N, K]
  at::Tensor out = w.b_out.defined() ? w.b_out.expand({tokens, d}).clone() : at::zeros({tokens, d}, f32);

  sparse_mlp_cuda_launch::args a;
  a.bf16 = dtype == at::kBFloat16;
  a.swiglu = w.kind == mlp_kind::swiglu;
  a.d = d;
  a.w_in = w.w_in.data_ptr();
  a.w_up = a.swiglu ? w.w_up.data_ptr() : nullptr;
  a.w_out_t = w.w_out_t.data_ptr();
  a.b_in = w.b_in.defined() ? w.b_in.data_ptr<float>() : nullptr;
  a.b_up = w.b_up.defined() ? w.b_up.data_ptr<float>() : nullptr;
  a.kept = idx.data_ptr<int64_t>();
  a.k_count = k_count;
  a.x = xs.data_ptr<float>();
  a.tokens = tokens;
  a.h = h.data_ptr<float>();
  a.out = out.data_ptr<float>();
  a.stream = c10::cuda::getCurrentCUDAStream(x.device().index()).stream();
  if (const char* error = sparse_mlp_cuda_launch::launch(a)) fail("sparse MLP (CUDA): launch failed: {}", error);
  return out.to(dtype).reshape(x.sizes());
}

}  // namespace harness
