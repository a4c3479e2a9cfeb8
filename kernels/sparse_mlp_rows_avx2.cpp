// sparse_mlp_rows_avx2.cpp: the CPU sparse MLP loops compiled with -mavx2 -mfma (kernels/CMakeLists.txt);
// called only when the CPU reports both.
#define SPARSE_MLP_ROWS_ISA avx2
#include "kernels/sparse_mlp_rows_impl.h"
