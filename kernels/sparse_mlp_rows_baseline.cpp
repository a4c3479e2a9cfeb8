// sparse_mlp_rows_baseline.cpp: the CPU sparse MLP loops for the baseline ISA of the build (SSE2 on x86-64).
#define SPARSE_MLP_ROWS_ISA baseline
#include "kernels/sparse_mlp_rows_impl.h"
