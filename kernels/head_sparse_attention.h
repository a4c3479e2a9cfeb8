// head_sparse_attention.h: one decode step of a layer's attention computed for the kept query heads only
// (DejaVu's head sparsity). Shapes: B sequences (one new token each), d hidden, H query heads, KV key/value
// heads (groups of H/KV query heads), hd head dim, P cached tokens, Hk kept heads, Gk kept groups.
//
// A kept head computes its query, attends over the cache plus the new token, and contributes its slice
// of the output projection; a dropped head costs nothing. With GQA a group's K/V projection of the new
// token runs only if at least one of its query heads is kept: a group whose heads are all dropped is
// skipped, and its cache slot for the new position is left as it was (as DejaVu's decode path does;
// its later recomputation is the caller's business).
#pragma once
#include <ATen/ATen.h>

#include "kernels/sparse_mlp.h"  // cpu_loops
#include "runtime/decode_kernels.h"  // decode_step

namespace harness {

struct head_sparse_attention_weights {
  int64_t heads = 0, kv_heads = 0, head_dim = 0;
  at::Tensor w_q;              // [H*hd, d]  rows h*hd .. h*hd+hd-1 belong to head h
  at::Tensor w_k, w_v;         // [KV*hd, d]
  at::Tensor w_o_t;            // [H*hd, d]  o_proj^T: head h's output columns as contiguous rows
  at::Tensor b_q, b_k, b_v;    // float32 [H*hd], [KV*hd], [KV*hd]; undefined when the model has none
  at::Tensor b_o;              // float32 [d]

  int64_t hidden() const { return w_q.size(1); }  // d
};

// From the checkpoint layout (o_proj [d, H*hd]); biases may be undefined. Copies the weights once.
head_sparse_attention_weights prepare_head_sparse_attention(const at::Tensor& q_proj, const at::Tensor& k_proj,
                                                            const at::Tensor& v_proj, const at::Tensor& o_proj,
                                                            int64_t heads, int64_t kv_heads,
                                                            const at::Tensor& q_bias = {},
                                                            const at::Tensor& k_bias = {},
                                                            const at::Tensor& v_bias = {},
                                                            const at::Tensor& o_bias = {});

// Throws harness_error unless kept_heads is 1-D int64, strictly ascending, in [0, H); checks the step.
void check_head_sparse_inputs(const head_sparse_attention_weights& w, const decode_step& step,
                              const at::Tensor& kept_heads);
// The KV groups with at least one kept head, ascending: [Gk] int64.
at::Tensor kept_kv_groups(const at::Tensor& kept_heads, int64_t heads, int64_t kv_heads);

// Writes the new token's keys and values of the KV groups `groups` ([G] int64) into the step's caches at
// position `past`, as the dense forward would: what the kernels leave out for groups with no kept head.
void write_group_kv(const head_sparse_attention_weights& w, const decode_step& step, const at::Tensor& groups);

// Both write the kept groups' new K/V into the caches at position `past` and return [B, d] in the
// weights' dtype: o_proj over the kept heads (+ its bias). No kept head gives the bias (or zeros).
at::Tensor head_sparse_attention_reference(const head_sparse_attention_weights& w, const decode_step& step,
                                           const at::Tensor& kept_heads);
at::Tensor head_sparse_attention_cpu(const head_sparse_attention_weights& w, const decode_step& step,
                                     const at::Tensor& kept_heads, cpu_loops loops = cpu_loops::best);
// Built when sparse_mlp_cuda_built(); otherwise throws harness_error.
at::Tensor head_sparse_attention_cuda(const head_sparse_attention_weights& w, const decode_step& step,
                                      const at::Tensor& kept_heads);

}  // namespace harness
