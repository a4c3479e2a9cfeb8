// sparse_mlp.cpp: weight preparation, input checks and the libtorch reference of the sparse MLP.
#include "kernels/sparse_mlp.h"

#include "runtime/error.h"
#include "runtime/tensor_util.h"

namespace harness {

namespace {

void check_matrix(const at::Tensor& t, const char* name, int64_t rows, int64_t cols) {
  if (!t.defined() || t.dim() != 2 || t.size(0) != rows || t.size(1) != cols)
    fail("sparse MLP: {} has shape {}; expected [{}, {}]", name, t.defined() ? shape_str(t.sizes()) : "(none)", rows,
         cols);
}

at::Tensor prepared_bias(const at::Tensor& b, const char* name, int64_t size) {
  if (!b.defined()) return {};
  if (b.dim() != 1 || b.size(0) != size)
    fail("sparse MLP: {} has shape {}; expected [{}]", name, shape_str(b.sizes()), size);
  return b.to(at::kFloat).contiguous();
}

}  // namespace

sparse_mlp_weights prepare_llama_mlp(const at::Tensor& gate, const at::Tensor& up, const at::Tensor& down,
                                     const at::Tensor& gate_bias, const at::Tensor& up_bias,
                                     const at::Tensor& down_bias) {
  int64_t f = gate.size(0), d = gate.size(1);
  check_matrix(up, "up_proj", f, d);
  check_matrix(down, "down_proj", d, f);
  sparse_mlp_weights w;
  w.kind = mlp_kind::swiglu;
  w.w_in = gate.contiguous();
  w.w_up = up.contiguous();
  w.w_out_t = down.t().contiguous();  // [F, d]
  w.b_in = prepared_bias(gate_bias, "gate_proj bias", f);
  w.b_up = prepared_bias(up_bias, "up_proj bias", f);
  w.b_out = prepared_bias(down_bias, "down_proj bias", d);
  return w;
}

sparse_mlp_weights prepare_opt_mlp(const at::Tensor& fc1, const at::Tensor& fc1_bias, const at::Tensor& fc2,
                                   const at::Tensor& fc2_bias) {
  int64_t f = fc1.size(0), d = fc1.size(1);
  check_matrix(fc2, "fc2", d, f);
  sparse_mlp_weights w;
  w.kind = mlp_kind::relu;
  w.w_in = fc1.contiguous();
  w.w_out_t = fc2.t().contiguous();  // [F, d]
  w.b_in = prepared_bias(fc1_bias, "fc1 bias", f);
  w.b_out = prepared_bias(fc2_bias, "fc2 bias", d);
  return w;
}

void check_kept_neurons(const at::Tensor& kept, int64_t width) {
  if (!kept.defined()) fail("sparse MLP: kept neuron indices are undefined");
  if (kept.scalar_type() != at::kLong || kept.dim() != 1)
    fail("sparse MLP: kept neuron indices must be a 1-D int64 tensor; got {} of shape {}",
         dtype_str(kept.scalar_type()), shape_str(kept.sizes()));
  std::vector<int64_t> k = to_vector<int64_t>(kept);
  for (size_t i = 0; i < k.size(); ++i) {
    if (k[i] < 0 || k[i] >= width)
      fail("sparse MLP: kept neuron index {} at position {} is out of range [0, {})", k[i], i, width);
    if (i > 0 && k[i] <= k[i - 1])
      fail("sparse MLP: kept neuron indices must be strictly ascending (sorted, no duplicates); position {} holds {} "
           "after {}",
           i, k[i], k[i - 1]);
  }
}

void check_sparse_mlp_inputs(const sparse_mlp_weights& w, const at::Tensor& x, const at::Tensor& kept) {
  if (!x.defined() || x.dim() < 1 || x.size(-1) != w.hidden())
    fail("sparse MLP: input has shape {}; expected [.., {}]", x.defined() ? shape_str(x.sizes()) : "(none)",
         w.hidden());
  if (x.scalar_type() != w.w_in.scalar_type())
    fail("sparse MLP: input is {} but the weights are {}", dtype_str(x.scalar_type()),
         dtype_str(w.w_in.scalar_type()));
  if (x.device() != w.w_in.device())
    fail("sparse MLP: input is on {} but the weights are on {}", x.device().str(), w.w_in.device().str());
  check_kept_neurons(kept, w.width());
}

at::Tensor sparse_mlp_reference(const sparse_mlp_weights& w, const at::Tensor& x, const at::Tensor& kept) {
  check_sparse_mlp_inputs(w, x, kept);
  at::ScalarType dtype = x.scalar_type();
  at::Tensor idx = kept.to(x.device());
  auto bias = [&](const at::Tensor& b) { return b.defined() ? b.index_select(0, idx).to(dtype) : at::Tensor(); };
  at::Tensor xs = x.reshape({-1, w.hidden()});                                       // [N, d]
  at::Tensor pre = at::linear(xs, w.w_in.index_select(0, idx), bias(w.b_in));        // [N, K]
  at::Tensor act = w.kind == mlp_kind::relu
                       ? at::relu(pre)
                       : at::silu(pre) * at::linear(xs, w.w_up.index_select(0, idx), bias(w.b_up));  // [N, K]
  at::Tensor out = at::matmul(act, w.w_out_t.index_select(0, idx));                   // [N, d]
  if (w.b_out.defined()) out = out + w.b_out.to(dtype);
  return out.reshape(x.sizes());
}

}  // namespace harness
