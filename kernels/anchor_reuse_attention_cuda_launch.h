// anchor_reuse_attention_cuda_launch.h: the raw-pointer launcher of the CUDA anchor/reuse attention
// (anchor_reuse_attention_cuda.cu, compiled by nvcc without libtorch headers); anchor_reuse_attention_cuda.cpp
// checks the tensors, calls it, and (anchor) picks the tiles from the masses it returns. Device pointers;
// shapes as in anchor_reuse_attention.h.
#pragma once
#include <cstdint>

namespace harness::anchor_reuse_attention_cuda_launch {

struct args {
  bool bf16 = false;  // q, k, v are bf16 (else fp32)
  int64_t t = 0, heads = 0, kv_heads = 0, n = 0, hd = 0, tile = 0;
  int64_t kept = 0;  // m: tiles each head attends (all nt for an anchor)
  float scale = 1.0f;
  const void* q = nullptr;         // [T, H, hd]
  const void* k = nullptr;         // [KV, N, hd]
  const void* v = nullptr;         // [KV, N, hd]
  const int64_t* tiles = nullptr;  // [Ha, m] ascending
  const int64_t* head_map = nullptr;  // [H]: head h attends tiles[head_map[h]]
  float* scores = nullptr;  // [H, T, m*tile] scratch
  float* out = nullptr;     // [T, H, hd]
  float* mass = nullptr;    // [H, m] zeroed, or null: each listed tile's probabilities summed over the queries
  void* stream = nullptr;   // cudaStream_t
};

// Enqueues the kernel on the stream; returns nullptr, or the CUDA error string of a failed launch.
const char* launch(const args& a);

}  // namespace harness::anchor_reuse_attention_cuda_launch
