// generate.h: batched greedy decoding with the KV cache, as transformers' generate(do_sample=False).
#pragma once
#include <functional>
#include <optional>

#include "runtime/model.h"

namespace harness {

struct greedy_result {
  at::Tensor ids;          // [B, T + N] int64: prompt then generated ids (finished rows padded)
  at::Tensor step_logits;  // [B, N, V] float32: logits that chose each generated token
};

struct greedy_options {
  int64_t new_tokens = 16;
  std::optional<int64_t> eos_token_id;  // a row stops after emitting it; generation ends when all have
  int64_t pad_token_id = 0;             // written after a row has stopped
  std::function<void(int64_t done, int64_t total)> on_step;  // progress, optional
};

// input_ids [B, T] (left-padded), attention_mask [B, T] or undefined for all ones.
greedy_result greedy_generate(causal_lm& model, const at::Tensor& input_ids, const at::Tensor& attention_mask,
                              const greedy_options& options);

}  // namespace harness
