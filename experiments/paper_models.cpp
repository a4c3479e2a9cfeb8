#include "experiments/paper_models.h"

#include <algorithm>
#include <cctype>

#include "runtime/error.h"

namespace harness {

namespace {

nlohmann::json llama3(int64_t d, int64_t ffn, int64_t layers, int64_t heads, double rope_factor, bool tied) {
  return {{"architectures", {"LlamaForCausalLM"}},
          {"model_type", "llama"},
          {"vocab_size", 128256},
          {"hidden_size", d},
          {"intermediate_size", ffn},
          {"num_hidden_layers", layers},
          {"num_attention_heads", heads},
          {"num_key_value_heads", 8},
          {"head_dim", 128},
          {"hidden_act", "silu"},
          {"max_position_embeddings", 131072},
          {"rms_norm_eps", 1e-5},
          {"rope_theta", 500000.0},
          {"rope_scaling",
           {{"rope_type", "llama3"}, {"factor", rope_factor}, {"low_freq_factor", 1.0}, {"high_freq_factor", 4.0},
            {"original_max_position_embeddings", 8192}}},
          {"tie_word_embeddings", tied},
          {"bos_token_id", 128000},
          {"eos_token_id", 128001},
          {"torch_dtype", "bfloat16"}};
}

// Pre-LN OPT without projections, except opt-350m (post-LN, 512-wide embeddings).
nlohmann::json opt(int64_t d, int64_t layers, int64_t heads, int64_t ffn, bool pre_ln = true, int64_t embed_dim = 0) {
  return {{"architectures", {"OPTForCausalLM"}},
          {"model_type", "opt"},
          {"vocab_size", 50272},
          {"hidden_size", d},
          {"ffn_dim", ffn},
          {"num_hidden_layers", layers},
          {"num_attention_heads", heads},
          {"max_position_embeddings", 2048},
          {"activation_function", "relu"},
          {"do_layer_norm_before", pre_ln},
          {"word_embed_proj_dim", embed_dim > 0 ? embed_dim : d},
          {"enable_bias", true},
          {"layer_norm_elementwise_affine", true},
          {"pad_token_id", 1},
          {"bos_token_id", 2},
          {"eos_token_id", 2},
          {"prefix", "</s>"},
          {"torch_dtype", "float16"}};
}

}  // namespace

const std::vector<paper_model>& paper_models() {
  static const std::vector<paper_model> models = {
      {"Llama-3.2-3B", llama3(3072, 8192, 28, 24, 32.0, true), 2},
      {"Llama-3.1-8B", llama3(4096, 14336, 32, 32, 8.0, false), 4},
      {"opt-125m", opt(768, 12, 12, 3072), 1},
      {"opt-350m", opt(1024, 24, 16, 4096, false, 512), 1},
      {"opt-1.3b", opt(2048, 24, 32, 8192), 1},
      {"opt-2.7b", opt(2560, 32, 32, 10240), 1},
      {"opt-6.7b", opt(4096, 32, 32, 16384), 2},
      {"opt-13b", opt(5120, 40, 40, 20480), 3},
      {"opt-30b", opt(7168, 48, 56, 28672), 7},
      {"opt-66b", opt(9216, 64, 72, 36864), 14}};
  return models;
}

const paper_model& find_paper_model(const std::string& name) {
  auto lower = [](std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char ch) { return std::tolower(ch); });
    return s;
  };
  std::string known;
  for (const paper_model& m : paper_models()) {
    if (lower(m.name) == lower(name)) return m;
    known += (known.empty() ? "" : ", ") + m.name;
  }
  fail("unknown paper model '{}' (known: {})", name, known);
}

}  // namespace harness
