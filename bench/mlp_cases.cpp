#include "bench/mlp_cases.h"

#include <cmath>

namespace harness::bench {

mlp_weights random_mlp_weights(const mlp_shape& s, at::ScalarType dtype, at::Device device) {
  auto on = at::TensorOptions().device(device);
  auto matrix = [&](int64_t r, int64_t c) { return (at::randn({r, c}, on) / std::sqrt(double(c))).to(dtype); };
  mlp_weights w;
  bool relu = s.kind == mlp_kind::relu;
  w.w_in = matrix(s.f, s.d);
  if (!relu) w.w_up = matrix(s.f, s.d);
  w.w_out = matrix(s.d, s.f);
  if (relu) {
    w.b_in = at::randn({s.f}, on).to(dtype);
    w.b_out = at::randn({s.d}, on).to(dtype);
  }
  w.prepared = relu ? prepare_opt_mlp(w.w_in, w.b_in, w.w_out, w.b_out) : prepare_llama_mlp(w.w_in, w.w_up, w.w_out);
  w.pred1 = matrix(predictor_rank, s.d);
  w.pred2 = matrix(s.f, predictor_rank);
  w.x = at::randn({1, s.d}, on).to(dtype);
  return w;
}

at::Tensor dense_mlp(const mlp_weights& w) {
  at::Tensor pre = at::linear(w.x, w.w_in, w.b_in);  // [1, F]
  at::Tensor act = w.w_up.defined() ? at::silu(pre) * at::linear(w.x, w.w_up) : at::relu(pre);
  return at::linear(act, w.w_out, w.b_out);  // [1, d]
}

double mlp_weight_bytes(const mlp_shape& s, at::ScalarType dtype, int64_t kept) {
  int64_t matrices = s.kind == mlp_kind::swiglu ? 3 : 2;
  return static_cast<double>(matrices * kept * s.d) * static_cast<double>(at::elementSize(dtype));
}

}  // namespace harness::bench
