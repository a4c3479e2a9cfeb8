// import_llama2c.h: convert a llama2.c checkpoint and tokenizer into a Hugging Face Llama directory
// (config.json, model.safetensors, tokenizer.json, tokenizer_config.json, SOURCE.md) that the harness and
// transformers load. llama2.c rotates RoPE pairs (2i, 2i+1) of each head; Hugging Face rotates halves
// (i, i + head_size/2), so the rows of q and k are permuted per head; nothing else changes.
#pragma once
#include <map>
#include <string>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "runtime/llama2c.h"

namespace harness {

// The checkpoint's tensors under Hugging Face LlamaForCausalLM names (lm_head.weight only when unshared).
std::map<std::string, at::Tensor> llama2c_to_hf_weights(const llama2c_checkpoint& ckpt);

// config.json for LlamaForCausalLM (rms_norm_eps 1e-5 and rope_theta 10000 as in llama2.c; BOS 1, EOS 2).
nlohmann::ordered_json llama2c_hf_config(const llama2c_config& config);

// Writes the directory `out`, which must not exist yet: everything goes into a temporary sibling that is
// renamed into place at the end, so a failed import leaves nothing behind.
void import_llama2c(const std::string& checkpoint_path, const std::string& tokenizer_path, const std::string& out);

}  // namespace harness
