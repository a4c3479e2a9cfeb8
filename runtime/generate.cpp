#include "runtime/generate.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include "runtime/error.h"

namespace harness {

greedy_result greedy_generate(causal_lm& model, const at::Tensor& input_ids, const at::Tensor& attention_mask,
                              const greedy_options& options) {
  c10::NoGradGuard no_grad;
  if (input_ids.dim() != 2 || input_ids.size(1) == 0) fail("greedy_generate: input_ids must be [batch, tokens > 0]");
  int64_t batch = input_ids.size(0), prompt = input_ids.size(1);
  at::Tensor ids = input_ids.to(at::kLong).cpu();
  at::Tensor mask = attention_mask.defined() ? attention_mask.to(at::kLong).cpu() : at::ones_like(ids);
  kv_cache cache = model.make_cache(batch, prompt + options.new_tokens);
  at::Tensor unfinished = at::ones({batch}, at::kLong);
  std::vector<at::Tensor> logits_per_step;

  forward_options fwd;
  fwd.cache = &cache;
  fwd.last_position_only = true;
  at::Tensor step_input = ids;
  for (int64_t step = 0; step < options.new_tokens; ++step) {
    at::Tensor logits = model.forward({step_input, mask, {}}, fwd).logits.select(1, 0).to(at::kFloat).cpu();  // [B, V]
    logits_per_step.push_back(logits);
    at::Tensor next = logits.argmax(-1);  // [B]
    next = next * unfinished + options.pad_token_id * (1 - unfinished);
    if (options.eos_token_id) unfinished = unfinished * (next != *options.eos_token_id).to(at::kLong);
    ids = at::cat({ids, next.unsqueeze(1)}, 1);
    mask = at::cat({mask, at::ones({batch, 1}, at::kLong)}, 1);
    step_input = next.unsqueeze(1);
    if (options.on_step) options.on_step(step + 1, options.new_tokens);
    if (unfinished.sum().item<int64_t>() == 0) break;
  }
  return {ids, at::stack(logits_per_step, 1)};
}

}  // namespace harness
