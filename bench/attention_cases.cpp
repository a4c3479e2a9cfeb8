#include "bench/attention_cases.h"

#include <cmath>

namespace harness::bench {

decode_step random_decode_step(int64_t context, at::ScalarType dtype, at::Device device) {
  auto on = at::TensorOptions().device(device);
  decode_step s;
  s.x = at::randn({1, attention_d}, on).to(dtype);
  s.k_cache = at::randn({1, attention_kv_heads, context + 1, attention_hd}, on).to(dtype);
  s.v_cache = at::randn({1, attention_kv_heads, context + 1, attention_hd}, on).to(dtype);
  s.past = context;
  s.score_scale = 1.0 / std::sqrt(static_cast<double>(attention_hd));
  at::Tensor angle = at::rand({1, attention_hd / 2}, on) * 6.0;
  s.cos = at::cat({angle.cos(), angle.cos()}, 1).to(dtype);
  s.sin = at::cat({angle.sin(), angle.sin()}, 1).to(dtype);
  return s;
}

double head_step_bytes(int64_t kept_heads, double kept_groups, int64_t length, at::ScalarType dtype) {
  double rows = static_cast<double>(2 * kept_heads * attention_hd * attention_d) + 2.0 * kept_groups * attention_hd * attention_d;
  double cache = 2.0 * kept_groups * static_cast<double>(length * attention_hd);
  return (rows + cache) * static_cast<double>(at::elementSize(dtype));
}

double mean_kept_groups(const std::vector<at::Tensor>& kept_head_sets) {
  double groups = 0;
  for (const at::Tensor& set : kept_head_sets)
    groups += static_cast<double>(kept_kv_groups(set.cpu(), attention_heads, attention_kv_heads).numel());
  return groups / static_cast<double>(kept_head_sets.size());
}

at::Tensor dense_decode_attention(const head_sparse_attention_weights& w, const at::Tensor& o_proj,
                                  const decode_step& s) {
  int64_t length = s.past + 1, group = attention_heads / attention_kv_heads;
  at::Tensor q = at::linear(s.x, w.w_q).view({1, attention_kv_heads, group, attention_hd});  // [1, KV, H/KV, hd]
  at::Tensor k = at::linear(s.x, w.w_k).view({1, attention_kv_heads, attention_hd});        // [1, KV, hd]
  at::Tensor v = at::linear(s.x, w.w_v).view({1, attention_kv_heads, attention_hd});
  s.k_cache.select(2, s.past).copy_(k);
  s.v_cache.select(2, s.past).copy_(v);
  at::Tensor keys = s.k_cache.narrow(2, 0, length);  // [1, KV, S, hd]
  at::Tensor values = s.v_cache.narrow(2, 0, length);
  at::Tensor probs = at::softmax(at::matmul(q, keys.transpose(2, 3)) * s.score_scale, -1, at::kFloat);
  at::Tensor out = at::matmul(probs.to(q.scalar_type()), values).reshape({1, attention_heads * attention_hd});
  return at::linear(out, o_proj);  // [1, d]
}

at::Tensor dense_cache_attention(const anchor_reuse_step& s) {
  int64_t group = attention_heads / attention_kv_heads;
  at::Tensor q = s.q.view({attention_kv_heads, group, attention_hd});  // [KV, H/KV, hd]
  at::Tensor probs = at::softmax(at::matmul(q, s.k.transpose(1, 2)) * s.score_scale, -1, at::kFloat);  // [KV, g, N]
  return at::matmul(probs.to(q.scalar_type()), s.v).view({1, attention_heads, attention_hd});
}

std::vector<reuse_selection> random_reuse_selections(int64_t nt, int64_t top_k, int count, at::Device device) {
  std::vector<reuse_selection> selections;
  for (int i = 0; i < count; ++i) {
    std::vector<at::Tensor> rows;
    for (int64_t h = 0; h < attention_heads; ++h) {
      at::Tensor others = at::randperm(nt - 1).narrow(0, 0, top_k - 1);  // the newest tile is nt - 1
      rows.push_back(std::get<0>(at::cat({others, at::full({1}, nt - 1, at::kLong)}).sort()));
    }
    at::Tensor head_map = at::randint(attention_heads, {attention_heads}, at::kLong);
    selections.push_back({at::stack(rows).to(device), head_map.to(device)});
  }
  return selections;
}

}  // namespace harness::bench
