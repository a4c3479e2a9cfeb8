#include "runtime/synthetic_checkpoint.h"

#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "runtime/error.h"
#include "runtime/json_file.h"
#include "runtime/model_config.h"
#include "runtime/safetensors_writer.h"

namespace harness {

nlohmann::json llama_3_2_1b_config() {
  return {{"architectures", {"LlamaForCausalLM"}},
          {"model_type", "llama"},
          {"vocab_size", 128256},
          {"hidden_size", 2048},
          {"intermediate_size", 8192},
          {"num_hidden_layers", 16},
          {"num_attention_heads", 32},
          {"num_key_value_heads", 8},
          {"head_dim", 64},
          {"max_position_embeddings", 131072},
          {"rms_norm_eps", 1e-5},
          {"rope_theta", 500000.0},
          {"rope_scaling",
           {{"rope_type", "llama3"}, {"factor", 32.0}, {"low_freq_factor", 1.0}, {"high_freq_factor", 4.0},
            {"original_max_position_embeddings", 8192}}},
          {"tie_word_embeddings", true},
          {"bos_token_id", 128000},
          {"eos_token_id", 128001}};
}

namespace {

// Shards: contiguous groups of the tensors, in order, the i-th ending at the first tensor that reaches
// i/shards of the bytes (each shard holds at least one tensor).
void write_checkpoint(const std::string& dir, const named_tensors& tensors, int shards) {
  namespace fs = std::filesystem;
  if (shards < 1 || static_cast<size_t>(shards) > tensors.size())
    fail("{}: cannot write {} tensors as {} shards", dir, tensors.size(), shards);
  if (shards == 1) return write_safetensors((fs::path(dir) / "model.safetensors").string(), tensors);
  uint64_t total = 0;
  for (const auto& entry : tensors) total += entry.second.nbytes();
  nlohmann::json weight_map = nlohmann::json::object();
  size_t next = 0;
  uint64_t written = 0;
  for (int s = 0; s < shards; ++s) {
    std::string file = fmt::format("model-{:05d}-of-{:05d}.safetensors", s + 1, shards);
    uint64_t goal = total / static_cast<uint64_t>(shards) * static_cast<uint64_t>(s + 1);
    size_t last = s == shards - 1 ? tensors.size() : tensors.size() - static_cast<size_t>(shards - 1 - s);
    named_tensors part;
    while (next < last && (part.empty() || written < goal || s == shards - 1)) {
      written += tensors[next].second.nbytes();
      weight_map[tensors[next].first] = file;
      part.push_back(tensors[next++]);
    }
    write_safetensors((fs::path(dir) / file).string(), part);
  }
  write_json_file_atomic((fs::path(dir) / "model.safetensors.index.json").string(),
                         {{"metadata", {{"total_size", total}}}, {"weight_map", weight_map}});
}

}  // namespace

void write_synthetic_llama(const std::string& dir, const nlohmann::json& config, at::ScalarType dtype, uint64_t seed,
                           int shards) {
  std::filesystem::create_directories(dir);
  std::string config_path = (std::filesystem::path(dir) / "config.json").string();
  write_json_file_atomic(config_path, config);
  model_config c = read_model_config(config_path);
  if (c.arch != model_arch::llama) fail("{}: write_synthetic_llama needs a llama config", config_path);
  at::manual_seed(seed);
  int64_t d = c.hidden_size, q = c.num_heads * c.head_dim, kv = c.num_kv_heads * c.head_dim, f = c.intermediate_size;
  auto weight = [&](std::vector<int64_t> shape) { return (at::randn(shape) * 0.02).to(dtype); };
  auto norm = [&](int64_t n) { return at::ones({n}, at::TensorOptions().dtype(dtype)); };
  named_tensors t = {{"model.embed_tokens.weight", weight({c.vocab_size, d})}};
  for (int64_t i = 0; i < c.num_layers; ++i) {
    std::string p = "model.layers." + std::to_string(i) + ".";
    t.push_back({p + "input_layernorm.weight", norm(d)});
    t.push_back({p + "self_attn.q_proj.weight", weight({q, d})});
    t.push_back({p + "self_attn.k_proj.weight", weight({kv, d})});
    t.push_back({p + "self_attn.v_proj.weight", weight({kv, d})});
    t.push_back({p + "self_attn.o_proj.weight", weight({d, q})});
    t.push_back({p + "post_attention_layernorm.weight", norm(d)});
    t.push_back({p + "mlp.gate_proj.weight", weight({f, d})});
    t.push_back({p + "mlp.up_proj.weight", weight({f, d})});
    t.push_back({p + "mlp.down_proj.weight", weight({d, f})});
  }
  t.push_back({"model.norm.weight", norm(d)});
  if (!c.tie_word_embeddings) t.push_back({"lm_head.weight", weight({c.vocab_size, d})});
  write_checkpoint(dir, t, shards);
}

void write_synthetic_opt(const std::string& dir, const nlohmann::json& config, at::ScalarType dtype, uint64_t seed,
                         int shards) {
  std::filesystem::create_directories(dir);
  std::string config_path = (std::filesystem::path(dir) / "config.json").string();
  write_json_file_atomic(config_path, config);
  model_config c = read_model_config(config_path);
  if (c.arch != model_arch::opt || c.has_projections() || !c.do_layer_norm_before || !c.enable_bias ||
      !c.layer_norm_elementwise_affine)
    fail("{}: write_synthetic_opt needs a pre-LN OPT config with biases, affine norms and no projections",
         config_path);
  at::manual_seed(seed);
  int64_t d = c.hidden_size, f = c.intermediate_size;
  auto options = at::TensorOptions().dtype(dtype);
  auto weight = [&](std::vector<int64_t> shape) { return (at::randn(shape) * 0.02).to(dtype); };
  auto ones = [&](int64_t n) { return at::ones({n}, options); };
  auto zeros = [&](int64_t n) { return at::zeros({n}, options); };
  const std::string m = "model.decoder.";
  named_tensors t = {{m + "embed_tokens.weight", weight({c.vocab_size, d})},
                     {m + "embed_positions.weight", weight({c.max_position_embeddings + 2, d})}};
  for (int64_t i = 0; i < c.num_layers; ++i) {
    std::string p = m + "layers." + std::to_string(i) + ".";
    t.push_back({p + "self_attn_layer_norm.weight", ones(d)});
    t.push_back({p + "self_attn_layer_norm.bias", zeros(d)});
    for (const char* proj : {"q_proj", "k_proj", "v_proj", "out_proj"}) {
      t.push_back({p + "self_attn." + proj + ".weight", weight({d, d})});
      t.push_back({p + "self_attn." + proj + ".bias", zeros(d)});
    }
    t.push_back({p + "final_layer_norm.weight", ones(d)});
    t.push_back({p + "final_layer_norm.bias", zeros(d)});
    t.push_back({p + "fc1.weight", weight({f, d})});
    t.push_back({p + "fc1.bias", zeros(f)});
    t.push_back({p + "fc2.weight", weight({d, f})});
    t.push_back({p + "fc2.bias", zeros(d)});
  }
  t.push_back({m + "final_layer_norm.weight", ones(d)});
  t.push_back({m + "final_layer_norm.bias", zeros(d)});
  if (!c.tie_word_embeddings) t.push_back({"lm_head.weight", weight({c.vocab_size, d})});
  write_checkpoint(dir, t, shards);
}

}  // namespace harness
