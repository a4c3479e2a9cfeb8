// sparse_mlp_rows_impl.h: the body of the CPU sparse MLP loops, included by sparse_mlp_rows_baseline.cpp
// and sparse_mlp_rows_avx2.cpp inside their own namespace (SPARSE_MLP_ROWS_ISA), compiled with different
// ISA flags. Loops keep independent fp32 lanes so the compiler vectorises them without reassociating.
// Includes no libtorch header: inline functions compiled with AVX2 must not leak into the rest of the program.
#include <cmath>
#include <cstring>

#include "kernels/sparse_mlp_rows.h"

namespace harness::sparse_mlp_rows::SPARSE_MLP_ROWS_ISA {

namespace {

constexpr int lanes = 16;  // independent partial sums of a dot product (two AVX2 registers)

inline float load(const float* p, int64_t i) { return p[i]; }
inline float load(const uint16_t* p, int64_t i) {  // bf16 -> fp32 is exact: the bits become the high half
  uint32_t bits = static_cast<uint32_t>(p[i]) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

template <typename W>
float dot(const W* __restrict w, const float* __restrict x, int64_t d) {
  float acc[lanes] = {};
  int64_t i = 0;
  for (; i + lanes <= d; i += lanes)
    for (int j = 0; j < lanes; ++j) acc[j] += load(w, i + j) * x[i + j];
  float sum = 0;
  for (; i < d; ++i) sum += load(w, i) * x[i];
  for (int j = 0; j < lanes; ++j) sum += acc[j];
  return sum;
}

template <typename W>
void hidden_rows(const hidden_args& a, int64_t k0, int64_t k1) {
  const W* w_in = static_cast<const W*>(a.w_in);
  const W* w_up = static_cast<const W*>(a.w_up);
  for (int64_t k = k0; k < k1; ++k) {
    int64_t f = a.kept[k];
    for (int64_t n = 0; n < a.tokens; ++n) {
      const float* x = a.x + n * a.d;
      float pre = dot(w_in + f * a.d, x, a.d) + (a.b_in ? a.b_in[f] : 0.0f);
      float act = pre;
      if (a.act == activation::silu_gated) {
        float up = dot(w_up + f * a.d, x, a.d) + (a.b_up ? a.b_up[f] : 0.0f);
        act = pre / (1.0f + std::exp(-pre)) * up;
      } else if (a.act == activation::relu) {
        act = pre > 0.0f ? pre : 0.0f;
      }
      a.h[n * a.k_count + k] = act;
    }
  }
}

// out[n, c0:c1] += sum_k h[n, k] * w_out_t[kept[k], c0:c1], four kept rows per pass over the output slice.
template <typename W>
void out_columns(const out_args& a, int64_t c0, int64_t c1) {
  const W* w = static_cast<const W*>(a.w_out_t);
  int64_t k = 0;
  for (; k + 4 <= a.k_count; k += 4) {
    const W* __restrict r0 = w + a.kept[k] * a.d;
    const W* __restrict r1 = w + a.kept[k + 1] * a.d;
    const W* __restrict r2 = w + a.kept[k + 2] * a.d;
    const W* __restrict r3 = w + a.kept[k + 3] * a.d;
    for (int64_t n = 0; n < a.tokens; ++n) {
      const float* h = a.h + n * a.k_count + k;
      float h0 = h[0], h1 = h[1], h2 = h[2], h3 = h[3];
      float* __restrict o = a.out + n * a.d;
      for (int64_t c = c0; c < c1; ++c)
        o[c] += h0 * load(r0, c) + h1 * load(r1, c) + h2 * load(r2, c) + h3 * load(r3, c);
    }
  }
  for (; k < a.k_count; ++k) {
    const W* __restrict r = w + a.kept[k] * a.d;
    for (int64_t n = 0; n < a.tokens; ++n) {
      float hk = a.h[n * a.k_count + k];
      float* __restrict o = a.out + n * a.d;
      for (int64_t c = c0; c < c1; ++c) o[c] += hk * load(r, c);
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
