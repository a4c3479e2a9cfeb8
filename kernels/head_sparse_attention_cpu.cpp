// head_sparse_attention_cpu.cpp: head-sparse decode attention on CPU. The Q rows of the kept heads and the
// K/V rows of the kept groups are gathered projections (the sparse MLP's row loops with no activation);
// RoPE and the cache write run in fp32 in a loop here; per (sequence, kept KV group), the group's kept
// heads' scores and weighted sum of values are the same loops' two passes over the group's cached keys and
// values (each read once for all its kept heads); the output projection is the sparse MLP's second pass
// over the kept heads' rows of o_proj^T.
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "kernels/head_sparse_attention.h"
#include "kernels/sparse_mlp_rows.h"
#include "runtime/error.h"
#include "runtime/tensor_util.h"

namespace harness {

namespace {

namespace rows = sparse_mlp_rows;

constexpr int64_t column_grain = 256;

// Rotate-half RoPE of one head vector in place.
void rope_in_place(float* v, const float* cos, const float* sin, int64_t hd) {
  int64_t half = hd / 2;
  for (int64_t j = 0; j < half; ++j) {
    float x1 = v[j], x2 = v[j + half];
    v[j] = x1 * cos[j] - x2 * sin[j];
    v[j + half] = x2 * cos[j + half] + x1 * sin[j + half];
  }
}

struct attend_args {
  const rows::loops* kernels;
  rows::element type;
  int64_t element_bytes;
  const float* q;          // [B, Hk*hd] post-RoPE queries
  const int64_t* groups;   // [Gk] kept KV groups
  const int64_t* first;    // [Gk + 1]: group i's kept heads are kept heads first[i] .. first[i+1]-1
  int64_t kept, kept_groups, kv_heads, capacity, hd, length;  // length = past + 1 positions
  const int64_t* positions;  // [length]: 0 .. length-1, the cache rows every head reads
  const void* k_cache;     // [B, KV, capacity, hd]
  const void* v_cache;
  double scale;
  float* out;  // [B, Hk*hd]
};

// Pairs [i0, i1) of (sequence b, kept group i) = b * kept_groups + i. A group's kept heads are the
// "tokens" of the row loops: their scores are one first pass over the group's cached keys (K . q for
// each head, keys read once for all of them) and their outputs one second pass over its cached values.
void attend(const attend_args& a, int64_t i0, int64_t i1) {
  std::vector<float> scores;  // [heads of the group, length]
  for (int64_t pair = i0; pair < i1; ++pair) {
    int64_t b = pair / a.kept_groups, i = pair % a.kept_groups;
    int64_t head0 = a.first[i], heads = a.first[i + 1] - head0;
    int64_t cache_offset = (b * a.kv_heads + a.groups[i]) * a.capacity * a.hd * a.element_bytes;
    scores.resize(heads * a.length);
    rows::hidden_args dot;
    dot.type = a.type;
    dot.act = rows::activation::none;
    dot.d = a.hd;
    dot.w_in = static_cast<const char*>(a.k_cache) + cache_offset;
    dot.kept = a.positions;
    dot.k_count = a.length;
    dot.x = a.q + (b * a.kept + head0) * a.hd;
    dot.tokens = heads;
    dot.h = scores.data();
    a.kernels->hidden(dot, 0, a.length);
    for (int64_t h = 0; h < heads; ++h) {  // softmax of each head's row of scores
      float* row = scores.data() + h * a.length;
      float top = -INFINITY;
      for (int64_t s = 0; s < a.length; ++s) top = std::max(top, row[s] *= static_cast<float>(a.scale));
      float total = 0;
      for (int64_t s = 0; s < a.length; ++s) total += row[s] = std::exp(row[s] - top);
      for (int64_t s = 0; s < a.length; ++s) row[s] /= total;
    }
    float* o = a.out + (b * a.kept + head0) * a.hd;  // [heads, hd]
    std::fill(o, o + heads * a.hd, 0.0f);
    rows::out_args sum;
    sum.type = a.type;
    sum.d = a.hd;
    sum.w_out_t = static_cast<const char*>(a.v_cache) + cache_offset;
    sum.kept = a.positions;
    sum.k_count = a.length;
    sum.h = scores.data();
    sum.tokens = heads;
    sum.out = o;
    a.kernels->out(sum, 0, a.hd);
  }
}

// Writes the kept groups' new keys/values [B, Gk*hd] (fp32) into the caches at position `past`.
template <typename T>
void write_cache(const decode_step& step, const std::vector<int64_t>& groups, const at::Tensor& k,
                 const at::Tensor& v, int64_t hd) {
  int64_t batch = step.x.size(0), kv = step.k_cache.size(1), capacity = step.k_cache.size(2);
  T* kc = step.k_cache.data_ptr<T>();
  T* vc = step.v_cache.data_ptr<T>();
  const float* kn = k.data_ptr<float>();
  const float* vn = v.data_ptr<float>();
  int64_t gk = static_cast<int64_t>(groups.size());
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t i = 0; i < gk; ++i) {
      int64_t slot = ((b * kv + groups[i]) * capacity + step.past) * hd;
      for (int64_t j = 0; j < hd; ++j) {
        kc[slot + j] = static_cast<T>(kn[(b * gk + i) * hd + j]);
        vc[slot + j] = static_cast<T>(vn[(b * gk + i) * hd + j]);
      }
    }
}

std::vector<int64_t> rows_of(const std::vector<int64_t>& units, int64_t hd) {
  std::vector<int64_t> r;
  for (int64_t u : units)
    for (int64_t j = 0; j < hd; ++j) r.push_back(u * hd + j);
  return r;
}

}  // namespace

at::Tensor head_sparse_attention_cpu(const head_sparse_attention_weights& w, const decode_step& step,
                                     const at::Tensor& kept_heads, cpu_loops loops) {
  check_head_sparse_inputs(w, step, kept_heads);
  if (!step.x.device().is_cpu()) fail("head-sparse attention (CPU): input is on {}", step.x.device().str());
  at::ScalarType dtype = step.x.scalar_type();
  if (dtype != at::kFloat && dtype != at::kBFloat16)
    fail("head-sparse attention (CPU): weights must be float32 or bfloat16, got {}", dtype_str(dtype));
  const rows::loops& kernels = rows::pick_loops(loops == cpu_loops::baseline);
  int64_t batch = step.x.size(0), d = w.hidden(), hd = w.head_dim;
  std::vector<int64_t> heads = to_vector<int64_t>(kept_heads);
  std::vector<int64_t> groups = to_vector<int64_t>(kept_kv_groups(kept_heads, w.heads, w.kv_heads));
  std::vector<int64_t> q_rows = rows_of(heads, hd), kv_rows = rows_of(groups, hd);
  int64_t kept = static_cast<int64_t>(heads.size()), gk = static_cast<int64_t>(groups.size());
  int64_t nq = kept * hd, nkv = gk * hd;
  at::Tensor xs = step.x.to(at::kFloat).contiguous();  // [B, d]
  at::Tensor q = at::empty({batch, nq}, at::kFloat);    // [B, Hk*hd]
  at::Tensor k = at::empty({batch, nkv}, at::kFloat);   // [B, Gk*hd]
  at::Tensor v = at::empty({batch, nkv}, at::kFloat);   // [B, Gk*hd]
  rows::element type = dtype == at::kFloat ? rows::element::f32 : rows::element::bf16;

  // Gathered projections y[b, r] = w[rows[r]] . x[b] + bias[rows[r]].
  auto project = [&](const at::Tensor& weight, const at::Tensor& bias, const std::vector<int64_t>& r, at::Tensor& y) {
    rows::hidden_args a;
    a.type = type;
    a.act = rows::activation::none;
    a.d = d;
    a.w_in = weight.data_ptr();
    a.b_in = bias.defined() ? bias.data_ptr<float>() : nullptr;
    a.kept = r.data();
    a.k_count = static_cast<int64_t>(r.size());
    a.x = xs.data_ptr<float>();
    a.tokens = batch;
    a.h = y.data_ptr<float>();
    at::parallel_for(0, a.k_count, hd, [&](int64_t r0, int64_t r1) { kernels.hidden(a, r0, r1); });
  };
  project(w.w_q, w.b_q, q_rows, q);
  project(w.w_k, w.b_k, kv_rows, k);
  project(w.w_v, w.b_v, kv_rows, v);
  if (step.cos.defined()) {
    at::Tensor cos = step.cos.to(at::kFloat).contiguous(), sin = step.sin.to(at::kFloat).contiguous();  // [B, hd]
    for (int64_t b = 0; b < batch; ++b) {
      const float* c = cos.data_ptr<float>() + b * hd;
      const float* s = sin.data_ptr<float>() + b * hd;
      for (int64_t i = 0; i < kept; ++i) rope_in_place(q.data_ptr<float>() + b * nq + i * hd, c, s, hd);
      for (int64_t i = 0; i < gk; ++i) rope_in_place(k.data_ptr<float>() + b * nkv + i * hd, c, s, hd);
    }
  }

  at::Tensor per_head = at::empty({batch, nq}, at::kFloat);  // [B, Hk*hd]
  if (dtype == at::kFloat)
    write_cache<float>(step, groups, k, v, hd);
  else
    write_cache<at::BFloat16>(step, groups, k, v, hd);
  std::vector<int64_t> positions(step.past + 1);
  std::iota(positions.begin(), positions.end(), int64_t{0});
  std::vector<int64_t> first(gk + 1, kept);  // kept heads are ascending, so each group's are consecutive
  for (int64_t i = kept - 1; i >= 0; --i)
    first[std::lower_bound(groups.begin(), groups.end(), heads[i] / (w.heads / w.kv_heads)) - groups.begin()] = i;
  attend_args a{&kernels, type, static_cast<int64_t>(step.k_cache.element_size()), q.data_ptr<float>(), groups.data(),
                first.data(), kept, gk, w.kv_heads, step.k_cache.size(2), hd, step.past + 1, positions.data(),
                step.k_cache.data_ptr(), step.v_cache.data_ptr(), step.score_scale, per_head.data_ptr<float>()};
  at::parallel_for(0, batch * gk, 1, [&](int64_t i0, int64_t i1) { attend(a, i0, i1); });

  at::Tensor out = w.b_o.defined() ? w.b_o.expand({batch, d}).clone() : at::zeros({batch, d}, at::kFloat);
  rows::out_args o;
  o.type = type;
  o.d = d;
  o.w_out_t = w.w_o_t.data_ptr();
  o.kept = q_rows.data();
  o.k_count = nq;
  o.h = per_head.data_ptr<float>();
  o.tokens = batch;
  o.out = out.data_ptr<float>();
  if (nq > 0) at::parallel_for(0, d, column_grain, [&](int64_t c0, int64_t c1) { kernels.out(o, c0, c1); });
  return out.to(dtype);
}

}  // namespace harness
