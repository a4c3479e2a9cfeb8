// sparse_mlp_cpu.cpp: the optimised CPU sparse MLP. Two passes over the kept neurons, each split across
// libtorch's intra-op threads: (1) h[n, k] = act(w_in[kept[k]] . x[n]) (threads take runs of kept rows);
// (2) out[n, :] = b_out + sum_k h[n, k] * w_out_t[kept[k], :] (threads take slices of the d output
// columns, so no two threads write the same element). Each kept neuron's weights are read once as
// contiguous rows; the loops themselves are in sparse_mlp_rows_impl.h.
#include <ATen/Parallel.h>

#include "kernels/sparse_mlp.h"
#include "kernels/sparse_mlp_rows.h"
#include "runtime/error.h"
#include "runtime/tensor_util.h"

namespace harness {

namespace {

namespace rows = sparse_mlp_rows;

constexpr int64_t hidden_grain = 16;  // kept rows per task of pass 1
constexpr int64_t column_grain = 256;  // output columns per task of pass 2 (1 KiB of fp32 per token)

}  // namespace

at::Tensor sparse_mlp_cpu(const sparse_mlp_weights& w, const at::Tensor& x, const at::Tensor& kept, cpu_loops loops) {
  check_sparse_mlp_inputs(w, x, kept);
  if (!x.device().is_cpu()) fail("sparse MLP (CPU): input is on {}", x.device().str());
  at::ScalarType dtype = x.scalar_type();
  if (dtype != at::kFloat && dtype != at::kBFloat16)
    fail("sparse MLP (CPU): weights must be float32 or bfloat16, got {}", dtype_str(dtype));
  const rows::loops& kernels = rows::pick_loops(loops == cpu_loops::baseline);
  int64_t d = w.hidden(), k_count = kept.size(0);
  at::Tensor xs = x.reshape({-1, d}).to(at::kFloat).contiguous();  // [N, d]
  int64_t tokens = xs.size(0);
  at::Tensor idx = kept.contiguous();
  at::Tensor h = at::empty({tokens, k_count}, at::kFloat);  // [N, K]
  at::Tensor out = w.b_out.defined() ? w.b_out.expand({tokens, d}).clone() : at::zeros({tokens, d}, at::kFloat);

  rows::element type = dtype == at::kFloat ? rows::element::f32 : rows::element::bf16;
  rows::hidden_args ha;
  ha.type = type;
  bool swiglu = w.kind == mlp_kind::swiglu;
  ha.act = swiglu ? rows::activation::silu_gated : rows::activation::relu;
  ha.d = d;
  ha.w_in = w.w_in.data_ptr();
  ha.w_up = swiglu ? w.w_up.data_ptr() : nullptr;
  ha.b_in = w.b_in.defined() ? w.b_in.data_ptr<float>() : nullptr;
  ha.b_up = w.b_up.defined() ? w.b_up.data_ptr<float>() : nullptr;
  ha.kept = idx.data_ptr<int64_t>();
  ha.k_count = k_count;
  ha.x = xs.data_ptr<float>();
  ha.tokens = tokens;
  ha.h = h.data_ptr<float>();
  at::parallel_for(0, k_count, hidden_grain, [&](int64_t k0, int64_t k1) { kernels.hidden(ha, k0, k1); });

  rows::out_args oa;
  oa.type = type;
  oa.d = d;
  oa.w_out_t = w.w_out_t.data_ptr();
  oa.kept = ha.kept;
  oa.k_count = k_count;
  oa.h = ha.h;
  oa.tokens = tokens;
  oa.out = out.data_ptr<float>();
  if (k_count > 0)
    at::parallel_for(0, d, column_grain, [&](int64_t c0, int64_t c1) { kernels.out(oa, c0, c1); });

  return out.to(dtype).reshape(x.sizes());
}

}  // namespace harness
