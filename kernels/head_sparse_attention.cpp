// head_sparse_attention.cpp: weight preparation, input checks and the libtorch reference of head-sparse
// decode attention.
#include "kernels/head_sparse_attention.h"

#include "runtime/error.h"
#include "runtime/rope.h"
#include "runtime/tensor_util.h"

namespace harness {

namespace {

void check_matrix(const at::Tensor& t, const char* name, int64_t rows, int64_t cols) {
  if (!t.defined() || t.dim() != 2 || t.size(0) != rows || t.size(1) != cols)
    fail("head-sparse attention: {} has shape {}; expected [{}, {}]", name,
         t.defined() ? shape_str(t.sizes()) : "(none)", rows, cols);
}

at::Tensor prepared_bias(const at::Tensor& b, const char* name, int64_t size) {
  if (!b.defined()) return {};
  if (b.dim() != 1 || b.size(0) != size)
    fail("head-sparse attention: {} has shape {}; expected [{}]", name, shape_str(b.sizes()), size);
  return b.to(at::kFloat).contiguous();
}

void check_cache(const at::Tensor& c, const char* name, const head_sparse_attention_weights& w, const at::Tensor& x) {
  if (!c.defined() || c.dim() != 4 || c.size(0) != x.size(0) || c.size(1) != w.kv_heads || c.size(3) != w.head_dim)
    fail("head-sparse attention: {} has shape {}; expected [{}, {}, capacity, {}]", name,
         c.defined() ? shape_str(c.sizes()) : "(none)", x.size(0), w.kv_heads, w.head_dim);
  if (c.scalar_type() != x.scalar_type() || c.device() != x.device() || !c.is_contiguous())
    fail("head-sparse attention: {} must be a contiguous {} tensor on {}", name, dtype_str(x.scalar_type()),
         x.device().str());
}

}  // namespace

head_sparse_attention_weights prepare_head_sparse_attention(const at::Tensor& q_proj, const at::Tensor& k_proj,
                                                            const at::Tensor& v_proj, const at::Tensor& o_proj,
                                                            int64_t heads, int64_t kv_heads, const at::Tensor& q_bias,
                                                            const at::Tensor& k_bias, const at::Tensor& v_bias,
                                                            const at::Tensor& o_bias) {
  if (heads <= 0 || kv_heads <= 0 || heads % kv_heads != 0 || q_proj.dim() != 2 || q_proj.size(0) % heads != 0)
    fail("head-sparse attention: {} query heads, {} KV heads and q_proj of shape {} do not fit", heads, kv_heads,
         shape_str(q_proj.sizes()));
  int64_t d = q_proj.size(1), hd = q_proj.size(0) / heads;
  check_matrix(k_proj, "k_proj", kv_heads * hd, d);
  check_matrix(v_proj, "v_proj", kv_heads * hd, d);
  check_matrix(o_proj, "o_proj", d, heads * hd);
  head_sparse_attention_weights w;
  w.heads = heads;
  w.kv_heads = kv_heads;
  w.head_dim = hd;
  w.w_q = q_proj.contiguous();
  w.w_k = k_proj.contiguous();
  w.w_v = v_proj.contiguous();
  w.w_o_t = o_proj.t().contiguous();  // [H*hd, d]
  w.b_q = prepared_bias(q_bias, "q_proj bias", heads * hd);
  w.b_k = prepared_bias(k_bias, "k_proj bias", kv_heads * hd);
  w.b_v = prepared_bias(v_bias, "v_proj bias", kv_heads * hd);
  w.b_o = prepared_bias(o_bias, "o_proj bias", d);
  return w;
}

void check_head_sparse_inputs(const head_sparse_attention_weights& w, const decode_step& step,
                              const at::Tensor& kept_heads) {
  const at::Tensor& x = step.x;
  if (!x.defined() || x.dim() != 2 || x.size(1) != w.hidden())
    fail("head-sparse attention: input has shape {}; expected [B, {}]", x.defined() ? shape_str(x.sizes()) : "(none)",
         w.hidden());
  if (x.scalar_type() != w.w_q.scalar_type() || x.device() != w.w_q.device())
    fail("head-sparse attention: input is {} on {} but the weights are {} on {}", dtype_str(x.scalar_type()),
         x.device().str(), dtype_str(w.w_q.scalar_type()), w.w_q.device().str());
  check_cache(step.k_cache, "key cache", w, x);
  check_cache(step.v_cache, "value cache", w, x);
  if (step.past < 0 || step.past >= step.k_cache.size(2) || step.v_cache.size(2) != step.k_cache.size(2))
    fail("head-sparse attention: position {} does not fit caches of capacity {} and {}", step.past,
         step.k_cache.size(2), step.v_cache.size(2));
  if (step.cos.defined() != step.sin.defined() ||
      (step.cos.defined() && (step.cos.sizes() != at::IntArrayRef{x.size(0), w.head_dim} ||
                              step.sin.sizes() != step.cos.sizes())))
    fail("head-sparse attention: RoPE cos/sin must both be [{}, {}] or both undefined", x.size(0), w.head_dim);
  if (!kept_heads.defined() || kept_heads.scalar_type() != at::kLong || kept_heads.dim() != 1)
    fail("head-sparse attention: kept heads must be a 1-D int64 tensor");
  std::vector<int64_t> k = to_vector<int64_t>(kept_heads);
  for (size_t i = 0; i < k.size(); ++i) {
    if (k[i] < 0 || k[i] >= w.heads)
      fail("head-sparse attention: kept head {} at position {} is out of range [0, {})", k[i], i, w.heads);
    if (i > 0 && k[i] <= k[i - 1])
      fail("head-sparse attention: kept heads must be strictly ascending (sorted, no duplicates); position {} holds "
           "{} after {}",
           i, k[i], k[i - 1]);
  }
}

at::Tensor kept_kv_groups(const at::Tensor& kept_heads, int64_t heads, int64_t kv_heads) {
  std::vector<int64_t> groups;  // kept heads are ascending, so their groups come in ascending runs
  for (int64_t h : to_vector<int64_t>(kept_heads))
    if (groups.empty() || groups.back() != h / (heads / kv_heads)) groups.push_back(h / (heads / kv_heads));
  return at::tensor(groups, at::kLong);
}

namespace {

// Rows `rows` of a projection of the step's input: [B, n, hd].
at::Tensor project(const decode_step& step, int64_t hd, const at::Tensor& weight, const at::Tensor& bias,
                   const at::Tensor& rows) {
  at::Tensor b = bias.defined() ? bias.index_select(0, rows).to(step.x.scalar_type()) : at::Tensor();
  return at::linear(step.x, weight.index_select(0, rows), b).view({step.x.size(0), -1, hd});
}

// The rows of head (or group) indices `which` [n] in a [n_all*hd, d] projection: [n*hd].
at::Tensor head_rows(const at::Tensor& which, int64_t hd) {
  return (which.unsqueeze(1) * hd + at::arange(hd, which.options())).flatten();
}

}  // namespace

void write_group_kv(const head_sparse_attention_weights& w, const decode_step& step, const at::Tensor& groups) {
  at::Tensor g = groups.to(step.x.device());
  at::Tensor rows = head_rows(g, w.head_dim);                 // [G*hd]
  at::Tensor k = project(step, w.head_dim, w.w_k, w.b_k, rows);  // [B, G, hd]
  at::Tensor v = project(step, w.head_dim, w.w_v, w.b_v, rows);  // [B, G, hd]
  if (step.cos.defined()) k = apply_rope(k, step.cos, step.sin);  // [B, n, hd] with [B, hd]
  step.k_cache.select(2, step.past).index_copy_(1, g, k);
  step.v_cache.select(2, step.past).index_copy_(1, g, v);
}

at::Tensor head_sparse_attention_reference(const head_sparse_attention_weights& w, const decode_step& step,
                                           const at::Tensor& kept_heads) {
  check_head_sparse_inputs(w, step, kept_heads);
  at::ScalarType dtype = step.x.scalar_type();
  at::Device device = step.x.device();
  int64_t batch = step.x.size(0), hd = w.head_dim, kept = kept_heads.size(0);
  at::Tensor heads = kept_heads.to(device);  // [Hk]
  at::Tensor q_rows = head_rows(heads, hd);  // [Hk*hd]
  at::Tensor q = project(step, hd, w.w_q, w.b_q, q_rows);  // [B, Hk, hd]
  if (step.cos.defined()) q = apply_rope(q, step.cos, step.sin);
  write_group_kv(w, step, kept_kv_groups(kept_heads, w.heads, w.kv_heads));
  at::Tensor head_group = at::floor_divide(heads, w.heads / w.kv_heads);                     // [Hk]
  at::Tensor keys = step.k_cache.narrow(2, 0, step.past + 1).index_select(1, head_group);    // [B, Hk, S, hd]
  at::Tensor values = step.v_cache.narrow(2, 0, step.past + 1).index_select(1, head_group);  // [B, Hk, S, hd]
  at::Tensor scores = at::matmul(q.unsqueeze(2), keys.transpose(2, 3)) * step.score_scale;  // [B, Hk, 1, S]
  at::Tensor probs = at::softmax(scores, -1, at::kFloat).to(dtype);
  at::Tensor per_head = at::matmul(probs, values).reshape({batch, kept * hd});  // [B, Hk*hd]
  at::Tensor out = at::matmul(per_head, w.w_o_t.index_select(0, q_rows));      // [B, d]
  if (w.b_o.defined()) out = out + w.b_o.to(dtype);
  return out;
}

}  // namespace harness
