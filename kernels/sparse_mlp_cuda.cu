// sparse_mlp_cuda.cu: the CUDA sparse MLP as two gather kernels (the shape of DejaVu's Triton gather-GEMV).
// (1) hidden: one warp per (kept neuron, token) reads the neuron's input row(s) coalesced and reduces
//     the dot product with shuffles; h[n, k] = act(...) in fp32.
// (2) out: each thread owns one output column; a block of the grid's y dimension takes a run of kept
//     neurons, reads their transposed output rows coalesced and adds its partial sum with atomicAdd.
#include "kernels/sparse_mlp_cuda_launch.h"

#include <cuda_bf16.h>
#include <cuda_runtime.h>

namespace harness::sparse_mlp_cuda_launch {

namespace {

constexpr int warp_size = 32;
constexpr int hidden_warps_per_block = 8;
constexpr int out_threads = 256;
constexpr int64_t out_rows_per_block = 64;  // kept neurons per block of pass 2

__device__ __forceinline__ float to_float(float v) { return v; }
__device__ __forceinline__ float to_float(__nv_bfloat16 v) { return __bfloat162float(v); }

template <typename W>
__device__ float warp_dot(const W* __restrict__ w, const float* __restrict__ x, int64_t d) {
  float sum = 0.0f;
  for (int64_t i = threadIdx.x % warp_size; i < d; i += warp_size) sum += to_float(w[i]) * x[i];
  for (int offset = warp_size / 2; offset > 0; offset /= 2) sum += __shfl_down_sync(0xffffffffu, sum, offset);
  return sum;
}

template <typename W>
__global__ void hidden_kernel(args a) {
  int64_t k = static_cast<int64_t>(blockIdx.x) * hidden_warps_per_block + threadIdx.x / warp_size;
  int64_t n = blockIdx.y;
  if (k >= a.k_count) return;
  int64_t f = a.kept[k];
  const float* x = a.x + n * a.d;
  float pre = warp_dot(static_cast<const W*>(a.w_in) + f * a.d, x, a.d);
  float up = a.swiglu ? warp_dot(static_cast<const W*>(a.w_up) + f * a.d, x, a.d) : 0.0f;
  if (threadIdx.x % warp_size != 0) return;
  pre += a.b_in ? a.b_in[f] : 0.0f;
  float act;
  if (a.swiglu)
    act = pre / (1.0f + expf(-pre)) * (up + (a.b_up ? a.b_up[f] : 0.0f));
  else
    act = fmaxf(pre, 0.0f);
  a.h[n * a.k_count + k] = act;
}

template <typename W>
__global__ void out_kernel(args a) {
  int64_t c = static_cast<int64_t>(blockIdx.x) * out_threads + threadIdx.x;
  int64_t k0 = static_cast<int64_t>(blockIdx.y) * out_rows_per_block;
  int64_t k1 = k0 + out_rows_per_block < a.k_count ? k0 + out_rows_per_block : a.k_count;
  int64_t n = blockIdx.z;
  if (c >= a.d) return;
  const W* w = static_cast<const W*>(a.w_out_t);
  const float* h = a.h + n * a.k_count;
  float sum = 0.0f;
  for (int64_t k = k0; k < k1; ++k) sum += h[k] * to_float(w[a.kept[k] * a.d + c]);
  atomicAdd(a.out + n * a.d + c, sum);
}

template <typename W>
const char* launch_typed(const args& a) {
  cudaStream_t stream = static_cast<cudaStream_t>(a.stream);
  if (a.k_count == 0 || a.tokens == 0) return nullptr;
  dim3 hidden_grid(static_cast<unsigned>((a.k_count + hidden_warps_per_block - 1) / hidden_warps_per_block),
                   static_cast<unsigned>(a.tokens));
  hidden_kernel<W><<<hidden_grid, hidden_warps_per_block * warp_size, 0, stream>>>(a);
  dim3 out_grid(static_cast<unsigned>((a.d + out_threads - 1) / out_threads),
                static_cast<unsigned>((a.k_count + out_rows_per_block - 1) / out_rows_per_block),
                static_cast<unsigned>(a.tokens));
  out_kernel<W><<<out_grid, out_threads, 0, stream>>>(a);
  cudaError_t status = cudaGetLastError();
  return status == cudaSuccess ? nullptr : cudaGetErrorString(status);
}

}  // namespace

const char* launch(const args& a) { return a.bf16 ? launch_typed<__nv_bfloat16>(a) : launch_typed<float>(a); }

}  // namespace harness::sparse_mlp_cuda_launch
