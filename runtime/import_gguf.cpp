// import_gguf.cpp: a Llama GGUF file to a Hugging Face directory: hyper-parameters from llama.* metadata,
// weights dequantised and renamed, q/k rows un-permuted, the tokenizer files from tokenizer.ggml.*.
#include "runtime/import_gguf.h"


#include <filesystem>
#include <map>
#include <set>

#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "runtime/error.h"
#include "runtime/gguf.h"
#include "runtime/gguf_tokenizer.h"
#include "runtime/json_file.h"
#include "runtime/new_directory.h"
#include "runtime/rope.h"
#include "runtime/safetensors_writer.h"

namespace harness {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

struct llama_shape {
  int64_t vocab = 0, hidden = 0, layers = 0, heads = 0, kv_heads = 0, head_dim = 0, ffn = 0;
  bool tied = false;
};

int64_t positive(const gguf_file& f, const std::string& key) {
  int64_t v = f.get_int(key);
  if (v <= 0) fail("{}: metadata '{}' must be positive, got {}", f.path(), key, v);
  return v;
}

llama_shape read_shape(const gguf_file& f) {
  llama_shape s;
  s.hidden = positive(f, "llama.embedding_length");
  s.layers = positive(f, "llama.block_count");
  s.heads = positive(f, "llama.attention.head_count");
  s.kv_heads = f.has("llama.attention.head_count_kv") ? positive(f, "llama.attention.head_count_kv") : s.heads;
  s.ffn = positive(f, "llama.feed_forward_length");
  if (s.heads % s.kv_heads != 0)
    fail("{}: {} attention heads are not a multiple of {} key/value heads", f.path(), s.heads, s.kv_heads);
  s.head_dim = f.has("llama.attention.key_length") ? positive(f, "llama.attention.key_length") : s.hidden / s.heads;
  if (f.has("llama.attention.value_length") && positive(f, "llama.attention.value_length") != s.head_dim)
    fail("{}: llama.attention.value_length differs from the key length (not a Llama layout)", f.path());
  if (s.head_dim % 2 != 0) fail("{}: head size {} must be even for RoPE", f.path(), s.head_dim);
  if (f.has("llama.rope.dimension_count") && positive(f, "llama.rope.dimension_count") != s.head_dim)
    fail("{}: llama.rope.dimension_count {} differs from the head size {} (partial RoPE is not Llama's)", f.path(),
         f.get_int("llama.rope.dimension_count"), s.head_dim);
  const gguf_tensor_info& embed = f.tensor("token_embd.weight");
  s.vocab = f.has("llama.vocab_size") ? positive(f, "llama.vocab_size") : embed.shape()[0];
  s.tied = f.find_tensor("output.weight") == nullptr;
  return s;
}

// config.json for LlamaForCausalLM.
json llama_config(const gguf_file& f, const llama_shape& s, at::ScalarType dtype) {
  double theta = f.has("llama.rope.freq_base") ? f.get_float("llama.rope.freq_base") : 10000.0;
  json c = {{"architectures", json::array({"LlamaForCausalLM"})},
            {"model_type", "llama"},
            {"vocab_size", s.vocab},
            {"hidden_size", s.hidden},
            {"intermediate_size", s.ffn},
            {"num_hidden_layers", s.layers},
            {"num_attention_heads", s.heads},
            {"num_key_value_heads", s.kv_heads},
            {"head_dim", s.head_dim},
            {"hidden_act", "silu"},
            {"max_position_embeddings", positive(f, "llama.context_length")},
            {"rms_norm_eps", f.get_float("llama.attention.layer_norm_rms_epsilon")},
            {"rope_theta", theta},
            {"rope_parameters", {{"rope_type", "default"}, {"rope_theta", theta}}},
            {"attention_bias", false},
            {"mlp_bias", false},
            {"tie_word_embeddings", s.tied},
            {"torch_dtype", dtype == at::kBFloat16 ? "bfloat16" : "float32"}};
  if (f.has("llama.rope.scaling.type") && f.get_string("llama.rope.scaling.type") != "none")
    fail("{}: llama.rope.scaling.type '{}' is not supported (only none)", f.path(),
         f.get_string("llama.rope.scaling.type"));
  const std::pair<const char*, const char*> ids[] = {{"bos_token_id", "tokenizer.ggml.bos_token_id"},
                                                     {"eos_token_id", "tokenizer.ggml.eos_token_id"},
                                                     {"pad_token_id", "tokenizer.ggml.padding_token_id"}};
  for (const auto& [field, key] : ids)
    if (f.has(key)) c[field] = f.get_int(key);
  return c;
}

// One tensor's GGUF name, Hugging Face name, expected Hugging Face shape, and q/k un-permutation heads.
struct tensor_map {
  std::string gguf, hf;
  std::vector<int64_t> shape;
  int64_t unpermute_heads = 0;
};

std::vector<tensor_map> llama_tensors(const llama_shape& s) {
  int64_t q = s.heads * s.head_dim, kv = s.kv_heads * s.head_dim;
  std::vector<tensor_map> m = {{"token_embd.weight", "model.embed_tokens.weight", {s.vocab, s.hidden}, 0}};
  for (int64_t i = 0; i < s.layers; ++i) {
    std::string g = "blk." + std::to_string(i) + ".", h = "model.layers." + std::to_string(i) + ".";
    m.push_back({g + "attn_norm.weight", h + "input_layernorm.weight", {s.hidden}, 0});
    m.push_back({g + "attn_q.weight", h + "self_attn.q_proj.weight", {q, s.hidden}, s.heads});
    m.push_back({g + "attn_k.weight", h + "self_attn.k_proj.weight", {kv, s.hidden}, s.kv_heads});
    m.push_back({g + "attn_v.weight", h + "self_attn.v_proj.weight", {kv, s.hidden}, 0});
    m.push_back({g + "attn_output.weight", h + "self_attn.o_proj.weight", {s.hidden, q}, 0});
    m.push_back({g + "ffn_norm.weight", h + "post_attention_layernorm.weight", {s.hidden}, 0});
    m.push_back({g + "ffn_gate.weight", h + "mlp.gate_proj.weight", {s.ffn, s.hidden}, 0});
    m.push_back({g + "ffn_up.weight", h + "mlp.up_proj.weight", {s.ffn, s.hidden}, 0});
    m.push_back({g + "ffn_down.weight", h + "mlp.down_proj.weight", {s.hidden, s.ffn}, 0});
  }
  m.push_back({"output_norm.weight", "model.norm.weight", {s.hidden}, 0});
  if (!s.tied) m.push_back({"output.weight", "lm_head.weight", {s.vocab, s.hidden}, 0});
  return m;
}

named_tensors llama_weights(const gguf_file& f, const llama_shape& s, at::ScalarType dtype) {
  std::vector<tensor_map> maps = llama_tensors(s);
  std::set<std::string> expected;
  for (const tensor_map& m : maps) expected.insert(m.gguf);
  for (const gguf_tensor_info& t : f.tensors())
    if (!expected.count(t.name))
      fail("{}: tensor '{}' has no place in a Llama model (rope_freqs, biases and extra tensors are not supported)",
           f.path(), t.name);
  named_tensors out;
  for (const tensor_map& m : maps) {
    const gguf_tensor_info& t = f.tensor(m.gguf);
    if (t.shape() != m.shape)
      fail("{}: tensor '{}' has shape [{}], expected [{}] from the metadata", f.path(), m.gguf,
           fmt::join(t.shape(), ", "), fmt::join(m.shape, ", "));
    at::Tensor w = at::empty(m.shape, at::kFloat);  // values in ggml order = row-major Hugging Face order
    dequantize_row(t.type, f.tensor_data(t), w.data_ptr<float>(), t.elements(), f.path() + ": tensor '" + t.name + "'");
    if (m.unpermute_heads > 0) w = interleaved_to_rotate_half(w, m.unpermute_heads);
    out.emplace_back(m.hf, dtype == at::kFloat ? w : w.to(dtype));
  }
  return out;
}

void write_model(const gguf_file& f, const fs::path& dir, at::ScalarType dtype) {
  std::string arch = f.get_string("general.architecture");
  if (arch != "llama")
    fail("{}: general.architecture is '{}'; import-gguf converts only 'llama' models", f.path(), arch);
  llama_shape s = read_shape(f);
  write_json_file_atomic((dir / "config.json").string(), llama_config(f, s, dtype));
  write_json_file_atomic((dir / "tokenizer.json").string(), gguf_tokenizer_json(f));
  write_json_file_atomic((dir / "tokenizer_config.json").string(), gguf_tokenizer_config(f));
  std::string name = f.has("general.name") ? f.get_string("general.name") : "";
  write_safetensors((dir / "model.safetensors").string(), llama_weights(f, s, dtype),
                    {{"format", "pt"}, {"source", "harness import-gguf " + fs::path(f.path()).filename().string()},
                     {"general.name", name}});
}

}  // namespace

void import_gguf(const import_gguf_options& options) {
  if (options.dtype != at::kFloat && options.dtype != at::kBFloat16)
    fail("import-gguf: the weights can be stored as f32 or bf16 only");
  gguf_file file(options.gguf_path);
  write_new_directory(options.out_dir, "import-gguf", [&](const fs::path& tmp) { write_model(file, tmp, options.dtype); });
}

}  // namespace harness
