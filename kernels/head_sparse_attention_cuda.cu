// head_sparse_attention_cuda.cu: head-sparse decode attention on CUDA, in four kernels:
// (1) gathered projections: one warp per (row of a kept head or group, sequence), shuffle-reduced dot;
// (2) RoPE of the kept queries and keys, and the kept groups' new K/V written into the caches;
// (3) attention: one block per (sequence, kept head): scores, block-reduced max and sum, weighted V;
// (4) output projection: one thread per output column over runs of 64 rows of o_proj^T, atomicAdd.
#include "kernels/head_sparse_attention_cuda_launch.h"

#include <cuda_bf16.h>
#include <cuda_runtime.h>

namespace harness::head_sparse_attention_cuda_launch {

namespace {

constexpr int warp_size = 32;
constexpr int project_warps_per_block = 8;
constexpr int attend_threads = 128;
constexpr int out_threads = 256;
constexpr int64_t out_rows_per_block = 64;

__device__ __forceinline__ float to_float(float v) { return v; }
__device__ __forceinline__ float to_float(__nv_bfloat16 v) { return __bfloat162float(v); }
__device__ __forceinline__ void store(float* p, float v) { *p = v; }
__device__ __forceinline__ void store(__nv_bfloat16* p, float v) { *p = __float2bfloat16(v); }

// y[b, r] = w[rows[r]] . x[b] + bias[rows[r]]
template <typename W>
__global__ void project_kernel(const W* __restrict__ w, const float* __restrict__ bias, const int64_t* rows,
                               int64_t n_rows, const float* __restrict__ x, int64_t d, float* y) {
  int64_t r = static_cast<int64_t>(blockIdx.x) * project_warps_per_block + threadIdx.x / warp_size;
  int64_t b = blockIdx.y;
  if (r >= n_rows) return;
  const W* row = w + rows[r] * d;
  const float* xb = x + b * d;
  float sum = 0.0f;
  for (int64_t i = threadIdx.x % warp_size; i < d; i += warp_size) sum += to_float(row[i]) * xb[i];
  for (int offset = warp_size / 2; offset > 0; offset /= 2) sum += __shfl_down_sync(0xffffffffu, sum, offset);
  if (threadIdx.x % warp_size == 0) y[b * n_rows + r] = sum + (bias ? bias[rows[r]] : 0.0f);
}

__device__ void rope(float* v, const float* cos, const float* sin, int64_t hd) {
  int64_t half = hd / 2;
  for (int64_t j = threadIdx.x; j < half; j += blockDim.x) {
    float x1 = v[j], x2 = v[j + half];
    v[j] = x1 * cos[j] - x2 * sin[j];
    v[j + half] = x2 * cos[j + half] + x1 * sin[j + half];
  }
}

// One block per sequence.
template <typename W>
__global__ void rope_store_kernel(args a) {
  int64_t b = blockIdx.x;
  if (a.cos) {
    const float* cos = a.cos + b * a.hd;
    const float* sin = a.sin + b * a.hd;
    for (int64_t i = 0; i < a.kept; ++i) rope(a.q + (b * a.kept + i) * a.hd, cos, sin, a.hd);
    for (int64_t i = 0; i < a.kept_groups; ++i) rope(a.k + (b * a.kept_groups + i) * a.hd, cos, sin, a.hd);
  }
  __syncthreads();
  W* kc = static_cast<W*>(a.k_cache);
  W* vc = static_cast<W*>(a.v_cache);
  for (int64_t i = 0; i < a.kept_groups; ++i) {
    int64_t slot = ((b * a.kv_heads + a.groups[i]) * a.capacity + a.past) * a.hd;
    for (int64_t j = threadIdx.x; j < a.hd; j += blockDim.x) {
      store(kc + slot + j, a.k[(b * a.kept_groups + i) * a.hd + j]);
      store(vc + slot + j, a.v[(b * a.kept_groups + i) * a.hd + j]);
    }
  }
}

// Reduces `value` over the block with `op`; every thread gets the result.
template <typename Op>
__device__ float block_reduce(float value, float* shared, Op op) {
  shared[threadIdx.x] = value;
  __syncthreads();
  for (int stride = attend_threads / 2; stride > 0; stride /= 2) {
    if (threadIdx.x < stride) shared[threadIdx.x] = op(shared[threadIdx.x], shared[threadIdx.x + stride]);
    __syncthreads();
  }
  float result = shared[0];
  __syncthreads();
  return result;
}

struct max_op {
  __device__ float operator()(float x, float y) const { return fmaxf(x, y); }
};
struct sum_op {
  __device__ float operator()(float x, float y) const { return x + y; }
};

// One block per (sequence b, kept head i) = b * kept + i.
template <typename W>
__global__ void attend_kernel(args a) {
  __shared__ float shared[attend_threads];
  int64_t pair = blockIdx.x, b = pair / a.kept, i = pair % a.kept, g = a.heads[i] / a.group;
  int64_t length = a.past + 1;
  const float* q = a.q + pair * a.hd;
  const W* keys = static_cast<const W*>(a.k_cache) + (b * a.kv_heads + g) * a.capacity * a.hd;
  const W* values = static_cast<const W*>(a.v_cache) + (b * a.kv_heads + g) * a.capacity * a.hd;
  float* scores = a.scores + pair * length;
  float top = -INFINITY;
  for (int64_t s = threadIdx.x; s < length; s += attend_threads) {
    float dot = 0.0f;
    for (int64_t j = 0; j < a.hd; ++j) dot += q[j] * to_float(keys[s * a.hd + j]);
    scores[s] = dot * a.scale;
    top = fmaxf(top, scores[s]);
  }
  top = block_reduce(top, shared, max_op());
  float total = 0.0f;
  for (int64_t s = threadIdx.x; s < length; s += attend_threads) total += scores[s] = expf(scores[s] - top);
  total = block_reduce(total, shared, sum_op());
  for (int64_t j = threadIdx.x; j < a.hd; j += attend_threads) {
    float acc = 0.0f;
    for (int64_t s = 0; s < length; ++s) acc += scores[s] * to_float(values[s * a.hd + j]);
    a.per_head[pair * a.hd + j] = acc / total;
  }
}

template <typename W>
__global__ void out_kernel(args a) {
  int64_t c = static_cast<int64_t>(blockIdx.x) * out_threads + threadIdx.x;
  int64_t n_rows = a.kept * a.hd;
  int64_t r0 = static_cast<int64_t>(blockIdx.y) * out_rows_per_block;
  int64_t r1 = r0 + out_rows_per_block < n_rows ? r0 + out_rows_per_block : n_rows;
  int64_t b = blockIdx.z;
  if (c >= a.d) return;
  const W* w = static_cast<const W*>(a.w_o_t);
  const float* h = a.per_head + b * n_rows;
  float sum = 0.0f;
  for (int64_t r = r0; r < r1; ++r) sum += h[r] * to_float(w[a.q_rows[r] * a.d + c]);
  atomicAdd(a.out + b * a.d + c, sum);
}

template <typename W>
const char* launch_typed(const args& a) {
  cudaStream_t stream = static_cast<cudaStream_t>(a.stream);
  if (a.kept == 0 || a.batch == 0) return nullptr;
  unsigned batch = static_cast<unsigned>(a.batch);
  auto project = [&](const void* w, const float* bias, const int64_t* rows, int64_t n_rows, float* y) {
    dim3 grid(static_cast<unsigned>((n_rows + project_warps_per_block - 1) / project_warps_per_block), batch);
    project_kernel<W><<<grid, project_warps_per_block * warp_size, 0, stream>>>(static_cast<const W*>(w), bias, rows,
                                                                                n_rows, a.x, a.d, y);
  };
  project(a.w_q, a.b_q, a.q_rows, a.kept * a.hd, a.q);
  project(a.w_k, a.b_k, a.kv_rows, a.kept_groups * a.hd, a.k);
  project(a.w_v, a.b_v, a.kv_rows, a.kept_groups * a.hd, a.v);
  rope_store_kernel<W><<<batch, attend_threads, 0, stream>>>(a);
  attend_kernel<W><<<static_cast<unsigned>(a.batch * a.kept), attend_threads, 0, stream>>>(a);
  int64_t n_rows = a.kept * a.hd;
  dim3 out_grid(static_cast<unsigned>((a.d + out_threads - 1) / out_threads),
                static_cast<unsigned>((n_rows + out_rows_per_block - 1) / out_rows_per_block), batch);
  out_kernel<W><<<out_grid, out_threads, 0, stream>>>(a);
  cudaError_t status = cudaGetLastError();
  return status == cudaSuccess ? nullptr : cudaGetErrorString(status);
}

}  // namespace

const char* launch(const args& a) { return a.bf16 ? launch_typed<__nv_bfloat16>(a) : launch_typed<float>(a); }

}  // namespace harness::head_sparse_attention_cuda_launch
