// sparse_mlp_cuda_launch.h: the raw-pointer launcher of the CUDA sparse MLP (sparse_mlp_cuda.cu, compiled
// by nvcc without libtorch headers); sparse_mlp_cuda.cpp checks the tensors and calls it. All pointers
// are device pointers. Shapes: N tokens, d hidden size, F MLP width, K kept neurons.
#pragma once
#include <cstdint>

namespace harness::sparse_mlp_cuda_launch {

struct args {
  bool bf16 = false;             // weights are bf16 (else fp32)
  bool swiglu = true;            // SiLU(in) * up; otherwise ReLU(in)
  int64_t d = 0;
  const void* w_in = nullptr;    // [F, d]
  const void* w_up = nullptr;    // [F, d], SwiGLU only
  const void* w_out_t = nullptr;  // [F, d]
  const float* b_in = nullptr;   // [F] or null
  const float* b_up = nullptr;   // [F] or null
  const int64_t* kept = nullptr;  // [K]
  int64_t k_count = 0;
  const float* x = nullptr;      // [N, d]
  int64_t tokens = 0;
  float* h = nullptr;            // [N, K] scratch
  float* out = nullptr;          // [N, d]: holds the bias (or zeros) on entry; the kept neurons are added
  void* stream = nullptr;        // cudaStream_t
};

// Enqueues both kernels on the stream; returns nullptr, or the CUDA error string of a failed launch.
const char* launch(const args& a);

}  // namespace harness::sparse_mlp_cuda_launch
