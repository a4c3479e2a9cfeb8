// synthetic_checkpoint.h: write a random-weight Llama or OPT checkpoint (config.json + model.safetensors) with
// the exact tensor names and shapes of a real one, for benchmarks and scale checks without real weights and
// as the initial state of models trained from scratch (runtime/lm_trainer.h).
#pragma once
#include <string>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

namespace harness {

// Llama-3.2-1B's config.json (hyper-parameters only).
nlohmann::json llama_3_2_1b_config();

// Writes dir/config.json (= config) and dir/model.safetensors with N(0, 0.02) weights (norms 1) in dtype;
// with shards > 1, as Hugging Face saves large models: model-0000i-of-0000n.safetensors files of about
// equal size and model.safetensors.index.json mapping each tensor to its file.
void write_synthetic_llama(const std::string& dir, const nlohmann::json& config, at::ScalarType dtype, uint64_t seed,
                           int shards = 1);

// The same for OPT (pre-LN, no project_in/out): N(0, 0.02) weights and embeddings (as transformers'
// OPT init_std), biases 0, LayerNorms weight 1 and bias 0.
void write_synthetic_opt(const std::string& dir, const nlohmann::json& config, at::ScalarType dtype, uint64_t seed,
                         int shards = 1);

}  // namespace harness
