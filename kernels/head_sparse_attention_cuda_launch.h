// head_sparse_attention_cuda_launch.h: the raw-pointer launcher of the CUDA head-sparse decode attention
// (head_sparse_attention_cuda.cu, compiled by nvcc without libtorch headers); head_sparse_attention_cuda.cpp
// checks the tensors and calls it. All pointers are device pointers. Shapes as in head_sparse_attention.h.
#pragma once
#include <cstdint>

namespace harness::head_sparse_attention_cuda_launch {

struct args {
  bool bf16 = false;  // weights and caches are bf16 (else fp32)
  int64_t batch = 0, d = 0, hd = 0, kv_heads = 0, group = 0;  // group = query heads per KV head
  int64_t kept = 0, kept_groups = 0;                           // Hk, Gk
  int64_t capacity = 0, past = 0;
  float scale = 1.0f;
  const void* w_q = nullptr;    // [H*hd, d]
  const void* w_k = nullptr;    // [KV*hd, d]
  const void* w_v = nullptr;    // [KV*hd, d]
  const void* w_o_t = nullptr;  // [H*hd, d]
  const float* b_q = nullptr;   // [H*hd] or null
  const float* b_k = nullptr;   // [KV*hd] or null
  const float* b_v = nullptr;   // [KV*hd] or null
  const int64_t* q_rows = nullptr;   // [Hk*hd] rows of the kept heads
  const int64_t* kv_rows = nullptr;  // [Gk*hd] rows of the kept groups
  const int64_t* heads = nullptr;    // [Hk]
  const int64_t* groups = nullptr;   // [Gk]
  const float* x = nullptr;          // [B, d]
  const float* cos = nullptr;        // [B, hd] or null (no RoPE)
  const float* sin = nullptr;
  void* k_cache = nullptr;  // [B, KV, capacity, hd]
  void* v_cache = nullptr;
  float* q = nullptr;         // [B, Hk*hd] scratch
  float* k = nullptr;         // [B, Gk*hd] scratch
  float* v = nullptr;         // [B, Gk*hd] scratch
  float* scores = nullptr;    // [B*Hk, past+1] scratch
  float* per_head = nullptr;  // [B, Hk*hd] scratch
  float* out = nullptr;       // [B, d]: holds the o_proj bias (or zeros) on entry
  void* stream = nullptr;     // cudaStream_t
};

// Enqueues the kernels on the stream; returns nullptr, or the CUDA error string of a failed launch.
const char* launch(const args& a);

}  // namespace harness::head_sparse_attention_cuda_launch
