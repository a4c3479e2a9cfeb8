// head_sparse_attention_cuda.cpp: checks the tensors of the CUDA head-sparse decode attention and calls its
// raw-pointer launcher (head_sparse_attention_cuda.cu) on the current stream. Compiled only with HARNESS_CUDA.
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include "kernels/head_sparse_attention.h"
#include "kernels/head_sparse_attention_cuda_launch.h"
#include "runtime/error.h"
#include "runtime/tensor_util.h"

namespace harness {

at::Tensor head_sparse_attention_cuda(const head_sparse_attention_weights& w, const decode_step& step,
                                      const at::Tensor& kept_heads) {
  check_head_sparse_inputs(w, step, kept_heads);  // copies kept_heads to the host to check it
  const at::Device& device = step.x.device();
  if (!device.is_cuda()) fail("head-sparse attention (CUDA): input is on {}", device.str());
  const c10::cuda::CUDAGuard on_device(device);  // launch on the input's GPU
  at::ScalarType dtype = step.x.scalar_type();
  if (dtype != at::kFloat && dtype != at::kBFloat16)
    fail("head-sparse attention (CUDA): weights must be float32 or bfloat16, got {}", dtype_str(dtype));
  int64_t batch = step.x.size(0), d = w.hidden(), hd = w.head_dim;
  auto f32 = at::TensorOptions().dtype(at::kFloat).device(device);
  at::Tensor heads = kept_heads.cpu();
  at::Tensor groups = kept_kv_groups(heads, w.heads, w.kv_heads);  // [Gk]
  at::Tensor offsets = at::arange(hd, at::kLong);
  at::Tensor q_rows = (heads.unsqueeze(1) * hd + offsets).flatten().to(device);    // [Hk*hd]
  at::Tensor kv_rows = (groups.unsqueeze(1) * hd + offsets).flatten().to(device);  // [Gk*hd]
  int64_t kept = heads.size(0), kept_groups = groups.size(0);
  at::Tensor heads_d = heads.to(device), groups_d = groups.to(device);
  at::Tensor x = step.x.to(at::kFloat).contiguous();  // [B, d]
  at::Tensor cos = step.cos.defined() ? step.cos.to(at::kFloat).contiguous() : at::Tensor();  // [B, hd]
  at::Tensor sin = step.sin.defined() ? step.sin.to(at::kFloat).contiguous() : at::Tensor();
  at::Tensor q = at::empty({batch, kept * hd}, f32);
  at::Tensor k = at::empty({batch, kept_groups * hd}, f32);
  at::Tensor v = at::empty({batch, kept_groups * hd}, f32);
  at::Tensor scores = at::empty({batch * kept, step.past + 1}, f32);
  at::Tensor per_head = at::empty({batch, kept * hd}, f32);
  at::Tensor out = w.b_o.defined() ? w.b_o.expand({batch, d}).clone() : at::zeros({batch, d}, f32);

  head_sparse_attention_cuda_launch::args a;
  a.bf16 = dtype == at::kBFloat16;
  a.batch = batch;
  a.d = d;
  a.hd = hd;
  a.kv_heads = w.kv_heads;
  a.group = w.heads / w.kv_heads;
  a.kept = kept;
  a.kept_groups = kept_groups;
  a.capacity = step.k_cache.size(2);
  a.past = step.past;
  a.scale = static_cast<float>(step.score_scale);
  a.w_q = w.w_q.data_ptr();
  a.w_k = w.w_k.data_ptr();
  a.w_v = w.w_v.data_ptr();
  a.w_o_t = w.w_o_t.data_ptr();
  auto ptr = [](const at::Tensor& t) { return t.defined() ? t.data_ptr<float>() : nullptr; };
  a.b_q = ptr(w.b_q);
  a.b_k = ptr(w.b_k);
  a.b_v = ptr(w.b_v);
  a.q_rows = q_rows.data_ptr<int64_t>();
  a.kv_rows = kv_rows.data_ptr<int64_t>();
  a.heads = heads_d.data_ptr<int64_t>();
  a.groups = groups_d.data_ptr<int64_t>();
  a.x = x.data_ptr<float>();
  a.cos = ptr(cos);
  a.sin = ptr(sin);
  a.k_cache = step.k_cache.data_ptr();
  a.v_cache = step.v_cache.data_ptr();
  a.q = q.data_ptr<float>();
  a.k = k.data_ptr<float>();
  a.v = v.data_ptr<float>();
  a.scores = scores.data_ptr<float>();
  a.per_head = per_head.data_ptr<float>();
  a.out = out.data_ptr<float>();
  a.stream = c10::cuda::getCurrentCUDAStream(device.index()).stream();
  if (const char* error = head_sparse_attention_cuda_launch::launch(a))
    fail("head-sparse attention (CUDA): launch failed: {}", error);
  return out.to(dtype);
}

}  // namespace harness
