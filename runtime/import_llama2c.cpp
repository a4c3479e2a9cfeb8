// import_llama2c.cpp: llama2.c checkpoint + tokenizer -> Hugging Face Llama directory (see import_llama2c.h).
#include "runtime/import_llama2c.h"

#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "runtime/error.h"
#include "runtime/llama2c_tokenizer_json.h"
#include "runtime/new_directory.h"
#include "runtime/rope.h"
#include "runtime/safetensors_writer.h"
#include "runtime/sha256.h"

namespace harness {

namespace fs = std::filesystem;

std::map<std::string, at::Tensor> llama2c_to_hf_weights(const llama2c_checkpoint& ckpt) {
  const llama2c_config& c = ckpt.config;
  auto get = [&](const std::string& name) { return ckpt.weights.at(name); };
  std::map<std::string, at::Tensor> hf;
  hf["model.embed_tokens.weight"] = get("tok_embeddings.weight");
  hf["model.norm.weight"] = get("norm.weight");
  if (!c.shared_classifier) hf["lm_head.weight"] = get("output.weight");
  for (int32_t l = 0; l < c.n_layers; ++l) {
    std::string from = fmt::format("layers.{}.", l), to = fmt::format("model.layers.{}.", l);
    hf[to + "input_layernorm.weight"] = get(from + "attention_norm.weight");
    hf[to + "self_attn.q_proj.weight"] = interleaved_to_rotate_half(get(from + "attention.wq.weight"), c.n_heads);
    hf[to + "self_attn.k_proj.weight"] = interleaved_to_rotate_half(get(from + "attention.wk.weight"), c.n_kv_heads);
    hf[to + "self_attn.v_proj.weight"] = get(from + "attention.wv.weight");
    hf[to + "self_attn.o_proj.weight"] = get(from + "attention.wo.weight");
    hf[to + "post_attention_layernorm.weight"] = get(from + "ffn_norm.weight");
    hf[to + "mlp.gate_proj.weight"] = get(from + "feed_forward.w1.weight");
    hf[to + "mlp.down_proj.weight"] = get(from + "feed_forward.w2.weight");
    hf[to + "mlp.up_proj.weight"] = get(from + "feed_forward.w3.weight");
  }
  return hf;
}

nlohmann::ordered_json llama2c_hf_config(const llama2c_config& c) {
  return {{"architectures", {"LlamaForCausalLM"}},
          {"model_type", "llama"},
          {"attention_bias", false},
          {"attention_dropout", 0.0},
          {"bos_token_id", 1},
          {"eos_token_id", 2},
          {"hidden_act", "silu"},
          {"hidden_size", c.dim},
          {"head_dim", c.head_size()},
          {"intermediate_size", c.hidden_dim},
          {"max_position_embeddings", c.seq_len},
          {"mlp_bias", false},
          {"num_attention_heads", c.n_heads},
          {"num_hidden_layers", c.n_layers},
          {"num_key_value_heads", c.n_kv_heads},
          {"rms_norm_eps", 1e-5},
          {"rope_scaling", nullptr},
          {"rope_theta", 10000.0},
          {"tie_word_embeddings", c.shared_classifier},
          {"torch_dtype", "float32"},
          {"vocab_size", c.vocab_size}};
}

namespace {

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.flush();
  if (!out) fail("{}: write failed", path.string());
}

std::string source_note(const std::string& checkpoint, const std::string& tokenizer, const llama2c_config& c) {
  auto line = [](const std::string& role, const std::string& path) {
    return fmt::format("| {} | `{}` | {} | `{}` |\n", role, fs::absolute(path).lexically_normal().string(),
                       fs::file_size(path), sha256_file(path));
  };
  return fmt::format(
      "# Converted from llama2.c files\n\n"
      "Written by `harness import-llama2c` (runtime/import_llama2c.cpp) from:\n\n"
      "| role | file | bytes | sha256 |\n|---|---|---|---|\n{}{}\n"
      "Checkpoint: llama2.c format version {}, dim {}, hidden_dim {}, n_layers {}, n_heads {}, n_kv_heads {}, "
      "vocab_size {}, seq_len {}, {} classifier.\n\n"
      "Conversion: tensors renamed to Hugging Face LlamaForCausalLM names, float32 unchanged, except that the rows "
      "of every q_proj and k_proj weight are permuted per head from llama2.c's interleaved RoPE pairs (2i, 2i+1) "
      "to Hugging Face's rotate-half order (i, i + head_dim/2). The tokenizer's pieces (' ' as U+2581) and "
      "scores become a SentencePiece-style BPE tokenizer.json with byte fallback; merges are every split of a "
      "piece into two pieces, ranked by the piece's score.\n",
      line("checkpoint", checkpoint), line("tokenizer", tokenizer), c.version, c.dim, c.hidden_dim, c.n_layers,
      c.n_heads, c.n_kv_heads, c.vocab_size, c.seq_len, c.shared_classifier ? "shared (tied)" : "separate");
}

}  // namespace

void import_llama2c(const std::string& checkpoint_path, const std::string& tokenizer_path, const std::string& out) {
  llama2c_checkpoint ckpt = read_llama2c_checkpoint(checkpoint_path);
  llama2c_vocab vocab = read_llama2c_tokenizer(tokenizer_path, ckpt.config.vocab_size);
  nlohmann::ordered_json tokenizer = llama2c_tokenizer_json(vocab, tokenizer_path);
  std::map<std::string, at::Tensor> hf = llama2c_to_hf_weights(ckpt);

  write_new_directory(out, "import-llama2c", [&](const fs::path& tmp) {
    write_text(tmp / "config.json", llama2c_hf_config(ckpt.config).dump(2) + "\n");
    write_text(tmp / "generation_config.json",
               nlohmann::ordered_json{{"bos_token_id", 1}, {"eos_token_id", 2}}.dump(2) + "\n");
    write_safetensors((tmp / "model.safetensors").string(), named_tensors(hf.begin(), hf.end()));
    write_text(tmp / "tokenizer.json", tokenizer.dump(2) + "\n");
    write_text(tmp / "tokenizer_config.json", llama2c_tokenizer_config(ckpt.config.seq_len).dump(2) + "\n");
    write_text(tmp / "SOURCE.md", source_note(checkpoint_path, tokenizer_path, ckpt.config));
  });
}

}  // namespace harness
