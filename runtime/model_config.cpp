#include "runtime/model_config.h"

#include <nlohmann/json.hpp>

#include "runtime/error.h"
#include "runtime/json_file.h"

namespace harness {

namespace {

using json = nlohmann::json;

struct field_reader {
  const json& j;
  const std::string& path;

  const json* find(const char* name) const {
    auto it = j.find(name);
    return (it == j.end() || it->is_null()) ? nullptr : &*it;
  }
  int64_t required_int(const char* name) const {
    const json* v = find(name);
    if (!v) fail("{}: missing config field '{}'", path, name);
    return as_positive_int(*v, name);
  }
  int64_t int_or(const char* name, int64_t fallback) const {
    const json* v = find(name);
    return v ? as_positive_int(*v, name) : fallback;
  }
  double number_or(const char* name, double fallback) const {
    const json* v = find(name);
    if (!v) return fallback;
    if (!v->is_number()) fail("{}: config field '{}' must be a number, got {}", path, name, v->dump());
    return v->get<double>();
  }
  bool bool_or(const char* name, bool fallback) const {
    const json* v = find(name);
    if (!v) return fallback;
    if (!v->is_boolean()) fail("{}: config field '{}' must be true or false, got {}", path, name, v->dump());
    return v->get<bool>();
  }
  std::string string_or(const char* name, const std::string& fallback) const {
    const json* v = find(name);
    if (!v) return fallback;
    if (!v->is_string()) fail("{}: config field '{}' must be a string, got {}", path, name, v->dump());
    return v->get<std::string>();
  }
  // bos/eos may be an int or a list of ints (Llama-3.1 lists several eos ids); the first one is used.
  std::optional<int64_t> token_id(const char* name) const {
    const json* v = find(name);
    if (!v) return std::nullopt;
    if (v->is_array()) {
      if (v->empty()) return std::nullopt;
      v = &(*v)[0];
    }
    if (!v->is_number_integer()) fail("{}: config field '{}' must be a token id, got {}", path, name, v->dump());
    return v->get<int64_t>();
  }
  int64_t as_positive_int(const json& v, const char* name) const {
    if (!v.is_number_integer() || v.get<int64_t>() <= 0)
      fail("{}: config field '{}' must be a positive integer, got {}", path, name, v.dump());
    return v.get<int64_t>();
  }
};

// rope_scaling (transformers 4.x) or rope_parameters (transformers 5.x, which also carries rope_theta).
void read_rope(const json& j, const std::string& path, model_config& c) {
  field_reader top{j, path};
  c.rope_theta = top.number_or("rope_theta", 10000.0);
  const json* scaling = top.find("rope_scaling");
  const char* field = "rope_scaling";
  if (!scaling) {
    scaling = top.find("rope_parameters");
    field = "rope_parameters";
  }
  if (!scaling) return;
  if (!scaling->is_object()) fail("{}: '{}' must be an object", path, field);
  field_reader r{*scaling, path};
  c.rope_theta = r.number_or("rope_theta", c.rope_theta);
  std::string type = r.string_or("rope_type", r.string_or("type", "default"));
  if (type == "default") return;
  if (type != "llama3" && type != "linear")
    fail("{}: {}.rope_type '{}' is not supported (default, linear, llama3)", path, field, type);
  rope_scaling_config s;
  s.type = type;
  const json* factor = r.find("factor");
  if (!factor || !factor->is_number()) fail("{}: {} of type '{}' needs a numeric 'factor'", path, field, type);
  s.factor = factor->get<double>();
  if (type == "llama3") {
    for (const char* name : {"low_freq_factor", "high_freq_factor", "original_max_position_embeddings"})
      if (!r.find(name)) fail("{}: {} of type 'llama3' is missing '{}'", path, field, name);
    s.low_freq_factor = r.number_or("low_freq_factor", 0);
    s.high_freq_factor = r.number_or("high_freq_factor", 0);
    s.original_max_position_embeddings = r.int_or("original_max_position_embeddings", 0);
    if (s.high_freq_factor <= s.low_freq_factor)
      fail("{}: {}: high_freq_factor must exceed low_freq_factor", path, field);
  }
  c.rope_scaling = s;
}

}  // namespace

model_config read_model_config(const std::string& path) { return parse_model_config(read_json_file(path), path); }

model_config parse_model_config(const json& j, const std::string& path) {
  if (!j.is_object()) fail("{}: config is not a JSON object", path);
  field_reader r{j, path};
  model_config c;
  c.path = path;

  std::string model_type = r.string_or("model_type", "");
  if (model_type.empty()) {
    const json* archs = r.find("architectures");
    if (archs && archs->is_array() && !archs->empty() && (*archs)[0].is_string()) {
      std::string a = (*archs)[0].get<std::string>();
      model_type = a == "OPTForCausalLM" ? "opt" : a == "LlamaForCausalLM" ? "llama" : a;
    }
  }
  if (model_type == "llama") {
    c.arch = model_arch::llama;
  } else if (model_type == "opt") {
    c.arch = model_arch::opt;
  } else {
    fail("{}: model_type '{}' is not supported (llama, opt)", path, model_type);
  }

  c.vocab_size = r.required_int("vocab_size");
  c.hidden_size = r.required_int("hidden_size");
  c.num_layers = r.required_int("num_hidden_layers");
  c.num_heads = r.required_int("num_attention_heads");
  c.max_position_embeddings = r.required_int("max_position_embeddings");
  c.bos_token_id = r.token_id("bos_token_id");
  c.eos_token_id = r.token_id("eos_token_id");
  c.pad_token_id = r.token_id("pad_token_id");

  if (c.arch == model_arch::llama) {
    c.intermediate_size = r.required_int("intermediate_size");
    c.num_kv_heads = r.int_or("num_key_value_heads", c.num_heads);
    if (c.hidden_size % c.num_heads != 0 && !r.find("head_dim"))
      fail("{}: hidden_size {} is not divisible by num_attention_heads {}", path, c.hidden_size, c.num_heads);
    c.head_dim = r.int_or("head_dim", c.hidden_size / c.num_heads);
    if (c.num_heads % c.num_kv_heads != 0)
      fail("{}: num_attention_heads {} is not a multiple of num_key_value_heads {}", path, c.num_heads,
           c.num_kv_heads);
    c.rms_norm_eps = r.number_or("rms_norm_eps", 1e-6);
    c.tie_word_embeddings = r.bool_or("tie_word_embeddings", false);
    c.attention_bias = r.bool_or("attention_bias", false);
    c.mlp_bias = r.bool_or("mlp_bias", false);
    c.activation = r.string_or("hidden_act", "silu");
    if (c.activation != "silu") fail("{}: hidden_act '{}' is not supported (silu)", path, c.activation);
    if (c.head_dim % 2 != 0) fail("{}: head_dim {} must be even for RoPE", path, c.head_dim);
    read_rope(j, path, c);
  } else {
    c.intermediate_size = r.required_int("ffn_dim");
    c.num_kv_heads = c.num_heads;
    if (c.hidden_size % c.num_heads != 0)
      fail("{}: hidden_size {} is not divisible by num_attention_heads {}", path, c.hidden_size, c.num_heads);
    c.head_dim = c.hidden_size / c.num_heads;
    c.do_layer_norm_before = r.bool_or("do_layer_norm_before", true);
    c.word_embed_proj_dim = r.int_or("word_embed_proj_dim", c.hidden_size);
    c.enable_bias = r.bool_or("enable_bias", true);
    c.layer_norm_elementwise_affine = r.bool_or("layer_norm_elementwise_affine", true);
    c.tie_word_embeddings = r.bool_or("tie_word_embeddings", true);
    c.activation = r.string_or("activation_function", "relu");
    if (c.activation != "relu" && c.activation != "gelu")
      fail("{}: activation_function '{}' is not supported (relu, gelu)", path, c.activation);
    if (r.bool_or("_remove_final_layer_norm", false))
      fail("{}: _remove_final_layer_norm is not supported", path);
  }
  return c;
}

void check_token_ids(const std::vector<int32_t>& ids, const model_config& config, const std::string& source) {
  for (int32_t id : ids)
    if (id < 0 || id >= config.vocab_size)
      fail("{}: token id {} is outside the model's vocabulary of {}: tokenizer and model do not match", source, id,
           config.vocab_size);
}

}  // namespace harness
