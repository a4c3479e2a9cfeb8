#include "evals/drift.h"

#include <algorithm>
#include <cstddef>
#include <map>
#include <random>

#include "runtime/error.h"

namespace harness {

drift_recorder::drift_recorder(int64_t layers)
    : residual(layers + 1), normed(layers), attn_out(layers), mlp_in(layers), mlp_out(layers) {}

void drift_recorder::observe(hook_point point, int64_t layer, const at::Tensor& value) {
  at::Tensor row = value.select(0, 0).to(at::kFloat).cpu();  // [T, d] of the (single) sequence
  switch (point) {
    case hook_point::attn_in: residual[layer] = row; break;
    case hook_point::attn_norm: normed[layer] = row; break;
    case hook_point::attn_out: attn_out[layer] = row; break;
    case hook_point::mlp_in: mlp_in[layer] = row; break;
    case hook_point::mlp_out: mlp_out[layer] = row; break;
    case hook_point::block_out:
      if (layer + 1 == static_cast<int64_t>(attn_out.size())) residual[layer + 1] = row;
      break;
    default: break;
  }
}

drift_samples::drift_samples(int64_t l, int64_t n)
    : layers(l), max_distance(n), cos(l, std::vector<std::vector<float>>(n)),
      cos_normed(l, std::vector<std::vector<float>>(n)), x_norm(l), attn_norm(l), mlp_norm(l), attn_ratio(l),
      mlp_ratio(l), normed_norm(l) {}

namespace {
void append(std::vector<float>& to, const at::Tensor& values) {
  at::Tensor c = values.contiguous();
  to.insert(to.end(), c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}
}  // namespace

void drift_samples::add(const drift_recorder& r, int64_t doc_id) {
  for (const auto& t : r.residual)
    if (!t.defined()) fail("drift: the forward pass did not pass every layer's input through the hooks");
  for (const auto& t : r.normed)
    if (!t.defined()) fail("drift: the forward pass did not pass every layer's normalised input through the hooks");
  int64_t tokens = r.residual[0].size(0);
  doc.insert(doc.end(), tokens, doc_id);
  for (int64_t l = 0; l < layers; ++l) {
    at::Tensor x = r.residual[l];  // [T, d]
    for (int64_t n = 1; n <= max_distance && l + n <= layers; ++n)
      append(cos[l][n - 1], at::cosine_similarity(x, r.residual[l + n], 1, 1e-12));
    at::Tensor xn = x.norm(2, 1), an = r.attn_out[l].norm(2, 1), mn = r.mlp_out[l].norm(2, 1);  // [T]
    append(x_norm[l], xn);
    append(attn_norm[l], an);
    append(mlp_norm[l], mn);
    append(attn_ratio[l], an / xn);
    append(mlp_ratio[l], mn / r.mlp_in[l].norm(2, 1));  // the MLP's input residual, after attention
    for (int64_t n = 1; n <= max_distance && l + n < layers; ++n)
      append(cos_normed[l][n - 1], at::cosine_similarity(r.normed[l], r.normed[l + n], 1, 1e-12));
    append(normed_norm[l], r.normed[l].norm(2, 1));
  }
}

namespace {
// Linear interpolation between order statistics, as numpy's default; selection, not a full sort, as the
// bootstrap calls it on every resample.
double quantile(std::vector<float> v, double q) {
  if (v.empty()) return 0;
  double pos = q * static_cast<double>(v.size() - 1);
  size_t lo = static_cast<size_t>(pos);
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(lo), v.end());
  float low = v[lo];  // everything after it is >= low, so the next order statistic is their minimum
  float high = lo + 1 < v.size() ? *std::min_element(v.begin() + static_cast<std::ptrdiff_t>(lo) + 1, v.end()) : low;
  return low + (pos - static_cast<double>(lo)) * (high - low);
}
}  // namespace

robust_summary summarize(const std::vector<float>& values, const std::vector<int64_t>& doc, int64_t resamples,
                         uint64_t seed) {
  robust_summary s;
  s.count = static_cast<int64_t>(values.size());
  if (values.empty()) return s;
  s.median = quantile(values, 0.5);
  s.q1 = quantile(values, 0.25);
  s.q3 = quantile(values, 0.75);
  std::map<int64_t, std::vector<float>> by_doc;
  for (size_t i = 0; i < values.size(); ++i) by_doc[doc[i]].push_back(values[i]);
  std::vector<const std::vector<float>*> docs;
  for (const auto& [id, v] : by_doc) docs.push_back(&v);
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<size_t> pick(0, docs.size() - 1);
  std::vector<float> medians;
  for (int64_t r = 0; r < resamples; ++r) {
    std::vector<float> pooled;
    for (size_t k = 0; k < docs.size(); ++k) {
      const auto& d = *docs[pick(rng)];
      pooled.insert(pooled.end(), d.begin(), d.end());
    }
    medians.push_back(static_cast<float>(quantile(std::move(pooled), 0.5)));
  }
  s.ci_low = quantile(medians, 0.025);
  s.ci_high = quantile(medians, 0.975);
  return s;
}

}  // namespace harness
