// llama2c.h: read Andrej Karpathy's llama2.c files: a float32 model checkpoint (.bin, the legacy
// version-0 layout that run.c reads, or the version-1 layout with its 256-byte "ak42" header) and a
// tokenizer (.bin: max token length, then per token a float score, a byte length and the bytes).
// The weights keep llama2.c's names (model.py) and layout: q and k rows pair up RoPE dimensions
// (2i, 2i+1) within each head. Every size is checked against the file; errors name the file.
// Files are read as little-endian (as llama2.c writes them on every platform it supports).
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <ATen/ATen.h>

namespace harness {

struct llama2c_config {
  int32_t version = 0;     // 0: legacy header; 1: "ak42" header (fp32)
  int32_t dim = 0;         // model width
  int32_t hidden_dim = 0;  // SwiGLU width
  int32_t n_layers = 0;
  int32_t n_heads = 0;
  int32_t n_kv_heads = 0;
  int32_t vocab_size = 0;  // always positive here (v0 stores a negative value for an unshared head)
  int32_t seq_len = 0;
  bool shared_classifier = true;  // the output head is the token embedding

  int32_t head_size() const { return dim / n_heads; }
  int32_t kv_dim() const { return n_kv_heads * head_size(); }
};

struct llama2c_checkpoint {
  llama2c_config config;
  // llama2.c (model.py) names: "tok_embeddings.weight" [V, dim], "layers.{l}.attention_norm.weight" [dim],
  // "layers.{l}.attention.wq.weight" [dim, dim], ".wk" / ".wv" [kv_dim, dim], ".wo" [dim, dim],
  // "layers.{l}.ffn_norm.weight" [dim], "layers.{l}.feed_forward.w1" / ".w3" [hidden, dim], ".w2" [dim, hidden],
  // "norm.weight" [dim], and "output.weight" [V, dim] only when the classifier is not shared. float32.
  std::map<std::string, at::Tensor> weights;
};

// Reads a float32 checkpoint. Rejects an int8 (version 2) or unknown-version file, a header with
// impossible sizes, and a file whose size differs from what the header implies (naming both sizes).
llama2c_checkpoint read_llama2c_checkpoint(const std::string& path);

struct llama2c_token {
  std::string text;  // the bytes llama2.c prints (' ' for SentencePiece's '▁'; BOS is "\n<s>\n")
  float score = 0;   // SentencePiece score; a higher score merges first
};

struct llama2c_vocab {
  uint32_t max_token_length = 0;
  std::vector<llama2c_token> tokens;  // by id
};

// Reads a tokenizer of `vocab_size` tokens (the file does not store the count; the checkpoint does).
// Fails, naming the file, if it ends early, has bytes left over, or a token is longer than the maximum.
llama2c_vocab read_llama2c_tokenizer(const std::string& path, int32_t vocab_size);

}  // namespace harness
