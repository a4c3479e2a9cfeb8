// sparse_mlp_rows_impl.h: the body of the CPU sparse MLP loops, included by sparse_mlp_rows_baseline.cpp
// and sparse_mlp_rows_avx2.cpp inside their own namespace (SPARSE_MLP_ROWS_ISA), compiled with different
// ISA flags. Loops keep independent fp32 lanes (explicit vectors in the dot products) so the compiler
// vectorises them without reassociating.
// Includes no libtorch header: inline functions compiled with AVX2 must not leak into the rest of the program.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/sparse_mlp_rows.h"

namespace harness::sparse_mlp_rows::SPARSE_MLP_ROWS_ISA {

namespace {

constexpr int lanes = 8;  // independent partial sums of a dot product (one AVX2 register, two SSE2 ones)

inline float load(const float* p, int64_t i) { return p[i]; }
inline float load(const uint16_t* p, int64_t i) {  // bf16 -> fp32 is exact: the bits become the high half
  uint32_t bits = static_cast<uint32_t>(p[i]) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

// A vector register's worth of fp32 lanes as a GCC/Clang vector type: 8 in the AVX2 build, 4 in the
// baseline one (a wider type there would change how vectors are passed, -Wpsabi).
#ifdef __AVX2__
constexpr int width = 8;
#else
constexpr int width = 4;
#endif
using f32v = float __attribute__((vector_size(4 * width)));
using u32v = uint32_t __attribute__((vector_size(4 * width)));
using u16v = uint16_t __attribute__((vector_size(2 * width)));
constexpr int vectors = lanes / width;  // accumulators per dot product

inline f32v load_vector(const float* p) {
  f32v v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline f32v load_vector(const uint16_t* p) {  // `width` bf16 widened exactly, as load() does
  u16v bits;
  std::memcpy(&bits, p, sizeof bits);
  u32v wide = __builtin_convertvector(bits, u32v) << 16;
  f32v v;
  std::memcpy(&v, &wide, sizeof v);
  return v;
}

// sums[r] = rows[r] . x for R rows walked together: each row's kept weights start at an unrelated
// address, so reading R rows at once keeps R memory streams in flight where one row at a time stalls on
// every row's first cache lines. Each row has its own `lanes` partial sums (held in registers), added
// up in the same order whatever R is: the vectors lane by lane, then that vector's lanes.
template <typename W, int R>
void dots(const W* const* __restrict rows, const float* __restrict x, int64_t d, float* sums) {
  f32v acc[R][vectors] = {};
  int64_t i = 0;
  for (; i + lanes <= d; i += lanes)
    for (int v = 0; v < vectors; ++v) {
      f32v xv = load_vector(x + i + v * width);
      for (int r = 0; r < R; ++r) acc[r][v] += load_vector(rows[r] + i + v * width) * xv;
    }
  for (int r = 0; r < R; ++r) {
    float sum = 0;
    for (int64_t t = i; t < d; ++t) sum += load(rows[r], t) * x[t];
    f32v total = acc[r][0];
    for (int v = 1; v < vectors; ++v) total += acc[r][v];
    for (int j = 0; j < width; ++j) sum += total[j];
    sums[r] = sum;
  }
}

// Rows of the hidden pass read at once (four SwiGLU neurons, eight ReLU ones): on the 2-vCPU EPYC of
// kernels/README.md 8 beat 4 by ~10% and 16 (accumulators spilled) was slower.
constexpr int rows_together = 8;

inline float activate(const hidden_args& a, int64_t f, float pre, float up) {
  pre += a.b_in ? a.b_in[f] : 0.0f;
  if (a.act == activation::silu_gated) return pre / (1.0f + std::exp(-pre)) * (up + (a.b_up ? a.b_up[f] : 0.0f));
  if (a.act == activation::relu) return pre > 0.0f ? pre : 0.0f;
  return pre;
}

// Kept neurons [k0, k1) in blocks whose rows (w_in, and w_up when gated) are read together.
template <typename W>
void hidden_rows(const hidden_args& a, int64_t k0, int64_t k1) {
  const W* w_in = static_cast<const W*>(a.w_in);
  const W* w_up = static_cast<const W*>(a.w_up);
  const int per_neuron = a.act == activation::silu_gated ? 2 : 1;  // rows read per neuron
  const int64_t block = rows_together / per_neuron;                 // neurons per block
  for (int64_t k = k0; k < k1; k += block) {
    int64_t count = std::min(block, k1 - k);
    const W* rows[rows_together];
    for (int64_t b = 0; b < count; ++b) {
      int64_t f = a.kept[k + b];
      rows[b * per_neuron] = w_in + f * a.d;
      if (per_neuron == 2) rows[b * per_neuron + 1] = w_up + f * a.d;
    }
    for (int64_t n = 0; n < a.tokens; ++n) {
      const float* x = a.x + n * a.d;
      float sums[rows_together];
      if (count == block)
        dots<W, rows_together>(rows, x, a.d, sums);
      else
        for (int64_t r = 0; r < count * per_neuron; ++r) dots<W, 1>(rows + r, x, a.d, sums + r);
      for (int64_t b = 0; b < count; ++b)
        a.h[n * a.k_count + k + b] =
            activate(a, a.kept[k + b], sums[b * per_neuron], per_neuron == 2 ? sums[b * per_neuron + 1] : 0.0f);
    }
  }
}

// o[c0:c1] += sum_r h[r] * rows[r][c0:c1] for R rows in one pass over the output slice (R streams in
// flight, one load and store of o per R rows).
template <typename W, int R>
void add_rows(const W* const* __restrict rows, const float* h, float* __restrict o, int64_t c0, int64_t c1) {
  int64_t c = c0;
  for (; c + width <= c1; c += width) {
    f32v sum = load_vector(o + c);
    for (int r = 0; r < R; ++r) sum += h[r] * load_vector(rows[r] + c);
    std::memcpy(o + c, &sum, sizeof sum);
  }
  for (; c < c1; ++c)
    for (int r = 0; r < R; ++r) o[c] += h[r] * load(rows[r], c);
}

constexpr int out_rows_together = 8;  // kept rows of w_out_t added in one pass over the output slice

// out[n, c0:c1] += sum_k h[n, k] * w_out_t[kept[k], c0:c1], out_rows_together kept rows per pass.
template <typename W>
void out_columns(const out_args& a, int64_t c0, int64_t c1) {
  const W* w = static_cast<const W*>(a.w_out_t);
  for (int64_t k = 0; k < a.k_count; k += out_rows_together) {
    int64_t count = std::min<int64_t>(out_rows_together, a.k_count - k);
    const W* rows[out_rows_together];
    for (int64_t r = 0; r < count; ++r) rows[r] = w + a.kept[k + r] * a.d;
    for (int64_t n = 0; n < a.tokens; ++n) {
      const float* h = a.h + n * a.k_count + k;
      float* o = a.out + n * a.d;
      if (count == out_rows_together)
        add_rows<W, out_rows_together>(rows, h, o, c0, c1);
      else
        for (int64_t r = 0; r < count; ++r) add_rows<W, 1>(rows + r, h + r, o, c0, c1);
    }
  }
}

}  // namespace

void hidden_range(const hidden_args& a, int64_t k0, int64_t k1) {
  if (a.type == element::f32)
    hidden_rows<float>(a, k0, k1);
  else
    hidden_rows<uint16_t>(a, k0, k1);
}

void out_range(const out_args& a, int64_t c0, int64_t c1) {
  if (a.type == element::f32)
    out_columns<float>(a, c0, c1);
  else
    out_columns<uint16_t>(a, c0, c1);
}

}  // namespace harness::sparse_mlp_rows::SPARSE_MLP_ROWS_ISA
