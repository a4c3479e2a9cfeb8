// sparse_mlp_rows_pick.cpp: chooses between the two builds of the CPU row loops at run time.
#include "kernels/sparse_mlp_rows.h"

namespace harness::sparse_mlp_rows {

namespace {
const loops baseline_loops = {baseline::hidden_range, baseline::out_range};

loops best_loops() {
#ifdef HARNESS_KERNELS_AVX2
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return {avx2::hidden_range, avx2::out_range};
#endif
  return baseline_loops;
}
}  // namespace

const loops& pick_loops(bool baseline_only) {
  static const loops best = best_loops();
  return baseline_only ? baseline_loops : best;
}

}  // namespace harness::sparse_mlp_rows
