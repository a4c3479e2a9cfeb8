// anchor_reuse_attention_cpu.cpp: the optimised CPU anchor/reuse attention. Each (head) runs on one of
// libtorch's intra-op threads: for each query, scores over the kept tiles' keys read in place (a tile is
// `tile` contiguous rows of the [KV, N, hd] cache), softmax and the weighted sum of V, all in float32.
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "kernels/anchor_reuse_attention.h"

namespace harness {

namespace {

template <typename scalar>
struct attend_args {
  const scalar* q = nullptr;  // [T, H, hd]
  const scalar* k = nullptr;  // [KV, N, hd]
  const scalar* v = nullptr;  // [KV, N, hd]
  int64_t t = 0, heads = 0, group = 0, n = 0, hd = 0, tile = 0;
  float scale = 1.0f;
  float* out = nullptr;  // [T, H, hd]
};

inline float dot(const float* a, const float* b, int64_t n) {
  float s0 = 0, s1 = 0, s2 = 0, s3 = 0;  // four partial sums let the compiler vectorise
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += a[i] * b[i];
    s1 += a[i + 1] * b[i + 1];
    s2 += a[i + 2] * b[i + 2];
    s3 += a[i + 3] * b[i + 3];
  }
  for (; i < n; ++i) s0 += a[i] * b[i];
  return (s0 + s1) + (s2 + s3);
}

inline float dot(const float* a, const c10::BFloat16* b, int64_t n) {
  float s = 0;
  for (int64_t i = 0; i < n; ++i) s += a[i] * static_cast<float>(b[i]);
  return s;
}

template <typename scalar>
inline void add_scaled(float* acc, float p, const scalar* row, int64_t n) {
  for (int64_t i = 0; i < n; ++i) acc[i] += p * static_cast<float>(row[i]);
}

// Head h over the listed tiles [m]: writes out[t, h, :]; when mass is set, adds each tile's probabilities
// (summed over the queries) to mass[j]. scores is scratch of m*tile floats.
template <typename scalar>
void attend_head(const attend_args<scalar>& a, int64_t h, const int64_t* tiles, int64_t m, float* mass,
                 std::vector<float>& scores, std::vector<float>& qf) {
  const scalar* kh = a.k + (h / a.group) * a.n * a.hd;
  const scalar* vh = a.v + (h / a.group) * a.n * a.hd;
  for (int64_t t = 0; t < a.t; ++t) {
    int64_t pos = a.n - a.t + t;  // this query sees keys 0 .. pos
    const scalar* qt = a.q + (t * a.heads + h) * a.hd;
    for (int64_t i = 0; i < a.hd; ++i) qf[i] = static_cast<float>(qt[i]);
    float top = -std::numeric_limits<float>::infinity();
    int64_t used = 0;
    for (int64_t j = 0; j < m; ++j) {
      int64_t end = std::min(tiles[j] * a.tile + a.tile, pos + 1);
      for (int64_t key = tiles[j] * a.tile; key < end; ++key) {
        float s = dot(qf.data(), kh + key * a.hd, a.hd) * a.scale;
        scores[used++] = s;
        top = std::max(top, s);
      }
    }
    float sum = 0;
    for (int64_t i = 0; i < used; ++i) sum += scores[i] = std::exp(scores[i] - top);
    float* acc = a.out + (t * a.heads + h) * a.hd;
    std::fill(acc, acc + a.hd, 0.0f);
    used = 0;
    for (int64_t j = 0; j < m; ++j) {
      int64_t end = std::min(tiles[j] * a.tile + a.tile, pos + 1);
      float tile_sum = 0;
      for (int64_t key = tiles[j] * a.tile; key < end; ++key) {
        float p = scores[used++] / sum;
        tile_sum += p;
        add_scaled(acc, p, vh + key * a.hd, a.hd);
      }
      if (mass) mass[j] += tile_sum;
    }
  }
}

template <typename scalar>
attend_args<scalar> make_args(const anchor_reuse_step& s, const at::Tensor& q, const at::Tensor& k,
                              const at::Tensor& v, at::Tensor& out) {
  attend_args<scalar> a;
  a.q = q.data_ptr<scalar>();
  a.k = k.data_ptr<scalar>();
  a.v = v.data_ptr<scalar>();
  a.t = q.size(0);
  a.heads = q.size(1);
  a.group = q.size(1) / k.size(0);
  a.n = k.size(1);
  a.hd = q.size(2);
  a.tile = s.tile;
  a.scale = static_cast<float>(s.score_scale);
  a.out = out.data_ptr<float>();
  return a;
}

// Runs fn(args) with args typed by the step's dtype, on contiguous CPU copies; returns out [T, H, hd] fp32.
template <typename fn_t>
at::Tensor run_typed(const anchor_reuse_step& s, const fn_t& fn) {
  at::Tensor q = s.q.cpu().contiguous(), k = s.k.cpu().contiguous(), v = s.v.cpu().contiguous();
  at::Tensor out = at::empty(q.sizes(), q.options().dtype(at::kFloat));
  if (q.scalar_type() == at::kFloat)
    fn(make_args<float>(s, q, k, v, out));
  else
    fn(make_args<c10::BFloat16>(s, q, k, v, out));
  return out;
}

// Head h's kept tiles: forced first..last, then by mass descending (ties to the lower index), ascending.
void choose_tiles(const float* mass, int64_t nt, int64_t first, int64_t top_k, int64_t* chosen) {
  std::vector<int64_t> order(nt);
  std::iota(order.begin(), order.end(), 0);
  auto score = [&](int64_t i) { return i >= first ? std::numeric_limits<float>::infinity() : mass[i]; };
  std::stable_sort(order.begin(), order.end(), [&](int64_t x, int64_t y) { return score(x) > score(y); });
  std::sort(order.begin(), order.begin() + top_k);
  std::copy(order.begin(), order.begin() + top_k, chosen);
}

}  // namespace

anchor_output anchor_attention_cpu(const anchor_reuse_step& s, int64_t top_k) {
  check_anchor_top_k(s, top_k);
  int64_t heads = s.q.size(1), nt = tile_count(s.k.size(1), s.tile);
  int64_t first = (s.k.size(1) - s.q.size(0)) / s.tile;
  std::vector<int64_t> all(nt);
  std::iota(all.begin(), all.end(), 0);
  at::Tensor tiles = at::empty({heads, top_k}, at::kLong);
  int64_t* chosen = tiles.data_ptr<int64_t>();
  at::Tensor out = run_typed(s, [&](const auto& a) {
    at::parallel_for(0, heads, 1, [&](int64_t begin, int64_t end) {
      std::vector<float> scores(nt * s.tile), qf(a.hd), mass(nt);
      for (int64_t h = begin; h < end; ++h) {
        std::fill(mass.begin(), mass.end(), 0.0f);
        attend_head(a, h, all.data(), nt, mass.data(), scores, qf);
        choose_tiles(mass.data(), nt, first, top_k, chosen + h * top_k);
      }
    });
  });
  return {out.to(s.q.scalar_type()), tiles.to(s.q.device())};
}

at::Tensor reuse_attention_cpu(const anchor_reuse_step& s, const at::Tensor& tiles, const at::Tensor& head_map) {
  check_reuse_selection(s, tiles, head_map);
  at::Tensor t = tiles.cpu().contiguous(), map = head_map.cpu().contiguous();
  int64_t heads = s.q.size(1), kk = t.size(1);
  const int64_t* tp = t.data_ptr<int64_t>();
  const int64_t* mp = map.data_ptr<int64_t>();
  at::Tensor out = run_typed(s, [&](const auto& a) {
    at::parallel_for(0, heads, 1, [&](int64_t begin, int64_t end) {
      std::vector<float> scores(kk * s.tile), qf(a.hd);
      for (int64_t h = begin; h < end; ++h) attend_head(a, h, tp + mp[h] * kk, kk, nullptr, scores, qf);
    });
  });
  return out.to(s.q.scalar_type()).to(s.q.device());
}

}  // namespace harness
