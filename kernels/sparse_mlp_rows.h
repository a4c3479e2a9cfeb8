// sparse_mlp_rows.h: the inner loops of the CPU sparse MLP on raw pointers (no libtorch), compiled twice:
// for the baseline x86-64 ISA and for AVX2+FMA (sparse_mlp_rows_avx2.cpp); pick_loops chooses at run time
// and the callers split the work across threads. Weights are fp32 or bf16 (raw uint16 bits); every
// accumulation is fp32. Shapes: N tokens, d hidden size, K kept neurons -- or kept rows: head-sparse
// attention (head_sparse_attention_cpu.cpp) runs its Q/K/V and output projections through the same loops.
#pragma once
#include <cstdint>

namespace harness::sparse_mlp_rows {

enum class element { f32, bf16 };
enum class activation { silu_gated, relu, none };  // SiLU(in) * up, ReLU(in), or in itself

struct hidden_args {
  element type = element::f32;
  activation act = activation::silu_gated;
  int64_t d = 0;
  const void* w_in = nullptr;  // [F, d]
  const void* w_up = nullptr;  // [F, d], silu_gated only
  const float* b_in = nullptr;  // [F] or null
  const float* b_up = nullptr;  // [F] or null
  const int64_t* kept = nullptr;  // [K]
  int64_t k_count = 0;
  const float* x = nullptr;  // [N, d]
  int64_t tokens = 0;
  float* h = nullptr;  // [N, K] output: the kept neurons' activations
};

struct out_args {
  element type = element::f32;
  int64_t d = 0;
  const void* w_out_t = nullptr;  // [F, d]
  const int64_t* kept = nullptr;  // [K]
  int64_t k_count = 0;
  const float* h = nullptr;  // [N, K]
  int64_t tokens = 0;
  float* out = nullptr;  // [N, d]: holds the bias (or zeros) on entry; columns [c0, c1) are accumulated
};

// Kept neurons [k0, k1) of h.
using hidden_fn = void (*)(const hidden_args&, int64_t k0, int64_t k1);
// Output columns [c0, c1) of out += h . w_out_t[kept].
using out_fn = void (*)(const out_args&, int64_t c0, int64_t c1);

struct loops {
  hidden_fn hidden;
  out_fn out;
};
// The AVX2+FMA loops when they were built and the CPU has both, else (or with baseline_only) the
// baseline ones (sparse_mlp_rows_pick.cpp).
const loops& pick_loops(bool baseline_only);

namespace baseline {
void hidden_range(const hidden_args& a, int64_t k0, int64_t k1);
void out_range(const out_args& a, int64_t c0, int64_t c1);
}  // namespace baseline
namespace avx2 {
void hidden_range(const hidden_args& a, int64_t k0, int64_t k1);
void out_range(const out_args& a, int64_t c0, int64_t c1);
}  // namespace avx2

}  // namespace harness::sparse_mlp_rows
