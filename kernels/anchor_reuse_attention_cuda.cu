// anchor_reuse_attention_cuda.cu: anchor/reuse attention on CUDA, one kernel: one block per (head, query)
// scores the keys of the head's listed tiles (masking those after the query's position), takes the
// block-reduced max and sum, writes the weighted sum of V, and (anchor) adds each tile's probability mass.
#include "kernels/anchor_reuse_attention_cuda_launch.h"

#include <cuda_bf16.h>
#include <cuda_runtime.h>

namespace harness::anchor_reuse_attention_cuda_launch {

namespace {

constexpr int threads = 128;

__device__ __forceinline__ float to_float(float v) { return v; }
__device__ __forceinline__ float to_float(__nv_bfloat16 v) { return __bfloat162float(v); }

// Reduces v over the block (max or sum); every thread gets the result.
template <bool is_max>
__device__ float block_reduce(float v, float* shared) {
  for (int offset = 16; offset > 0; offset /= 2) {
    float other = __shfl_down_sync(0xffffffffu, v, offset);
    v = is_max ? fmaxf(v, other) : v + other;
  }
  int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  if (threadIdx.x == 0) {
    float r = shared[0];
    for (int w = 1; w < threads / 32; ++w) r = is_max ? fmaxf(r, shared[w]) : r + shared[w];
    shared[threads / 32] = r;
  }
  __syncthreads();
  float r = shared[threads / 32];
  __syncthreads();
  return r;
}

template <typename T>
__global__ void attend_kernel(args a) {
  __shared__ float shared[threads / 32 + 1];
  int64_t h = blockIdx.x, t = blockIdx.y;
  int64_t pos = a.n - a.t + t, slots = a.kept * a.tile;
  int64_t group = a.heads / a.kv_heads;
  const T* q = static_cast<const T*>(a.q) + (t * a.heads + h) * a.hd;
  const T* k = static_cast<const T*>(a.k) + (h / group) * a.n * a.hd;
  const T* v = static_cast<const T*>(a.v) + (h / group) * a.n * a.hd;
  const int64_t* tiles = a.tiles + (a.head_map ? a.head_map[h] : h) * a.kept;
  float* scores = a.scores + (h * a.t + t) * slots;

  float top = -INFINITY;
  for (int64_t i = threadIdx.x; i < slots; i += threads) {
    int64_t key = tiles[i / a.tile] * a.tile + i % a.tile;
    float s = -INFINITY;
    if (key <= pos) {
      s = 0.0f;
      for (int64_t j = 0; j < a.hd; ++j) s += to_float(q[j]) * to_float(k[key * a.hd + j]);
      s *= a.scale;
    }
    scores[i] = s;
    top = fmaxf(top, s);
  }
  top = block_reduce<true>(top, shared);
  float sum = 0.0f;
  for (int64_t i = threadIdx.x; i < slots; i += threads) {
    float e = scores[i] == -INFINITY ? 0.0f : __expf(scores[i] - top);
    scores[i] = e;
    sum += e;
  }
  sum = block_reduce<false>(sum, shared);  // its barriers make every scores[i] visible to the block
  for (int64_t j = threadIdx.x; j < a.hd; j += threads) {
    float acc = 0.0f;
    for (int64_t i = 0; i < slots; ++i) {
      int64_t key = tiles[i / a.tile] * a.tile + i % a.tile;
      if (key <= pos) acc += scores[i] / sum * to_float(v[key * a.hd + j]);
    }
    a.out[(t * a.heads + h) * a.hd + j] = acc;
  }
  if (a.mass) {
    for (int64_t tile = threadIdx.x; tile < a.kept; tile += threads) {
      float m = 0.0f;
      for (int64_t i = tile * a.tile; i < (tile + 1) * a.tile; ++i) m += scores[i] / sum;
      atomicAdd(a.mass + h * a.kept + tile, m);
    }
  }
}

}  // namespace

const char* launch(const args& a) {
  cudaStream_t stream = static_cast<cudaStream_t>(a.stream);
  dim3 grid(static_cast<unsigned>(a.heads), static_cast<unsigned>(a.t));
  if (a.bf16)
    attend_kernel<__nv_bfloat16><<<grid, threads, 0, stream>>>(a);
  else
    attend_kernel<float><<<grid, threads, 0, stream>>>(a);
  cudaError_t error = cudaGetLastError();
  return error == cudaSuccess ? nullptr : cudaGetErrorString(error);
}

}  // namespace harness::anchor_reuse_attention_cuda_launch
