// model_config.h: the hyper-parameters of a Hugging Face LlamaForCausalLM or OPTForCausalLM, read from
// config.json with Hugging Face's defaults where a field may be omitted and a clear error where not.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace harness {

enum class model_arch { llama, opt };

// Llama-3.1 "llama3" rope scaling (transformers' _compute_llama3_parameters), or "linear".
struct rope_scaling_config {
  std::string type;  // "llama3" or "linear"
  double factor = 1.0;
  double low_freq_factor = 1.0;
  double high_freq_factor = 4.0;
  int64_t original_max_position_embeddings = 8192;
};

struct model_config {
  std::string path;  // the config.json it came from
  model_arch arch = model_arch::llama;
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;        // d
  int64_t intermediate_size = 0;  // ffn width (OPT: ffn_dim)
  int64_t num_layers = 0;
  int64_t num_heads = 0;
  int64_t num_kv_heads = 0;  // GQA groups; equals num_heads for MHA and OPT
  int64_t head_dim = 0;
  int64_t max_position_embeddings = 0;
  bool tie_word_embeddings = false;
  std::optional<int64_t> bos_token_id, eos_token_id, pad_token_id;

  // Llama
  double rms_norm_eps = 1e-6;
  double rope_theta = 10000.0;
  std::optional<rope_scaling_config> rope_scaling;
  bool attention_bias = false;
  bool mlp_bias = false;

  // OPT
  bool do_layer_norm_before = true;  // pre-LN; false for opt-350m (post-LN)
  int64_t word_embed_proj_dim = 0;   // != hidden_size means project_in/project_out exist
  bool enable_bias = true;
  bool layer_norm_elementwise_affine = true;
  std::string activation = "silu";  // Llama hidden_act / OPT activation_function

  bool has_projections() const { return arch == model_arch::opt && word_embed_proj_dim != hidden_size; }
};

model_config read_model_config(const std::string& config_json_path);
// The same from config.json's parsed text; `path` names it in errors.
model_config parse_model_config(const nlohmann::json& config, const std::string& path);

// Fails, naming `source`, when an id is outside the model's vocabulary [0, vocab_size): the tokenizer
// that produced the ids does not belong to the model.
void check_token_ids(const std::vector<int32_t>& ids, const model_config& config, const std::string& source);

}  // namespace harness
