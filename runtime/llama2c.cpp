// llama2c.cpp: readers for llama2.c's checkpoint and tokenizer files (see llama2c.h for the layouts).
#include "runtime/llama2c.h"

#include <cstring>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "runtime/error.h"

namespace harness {

namespace {

constexpr uint32_t llama2c_magic = 0x616b3432;  // "ak42" as a little-endian uint32
constexpr uint64_t v1_header_bytes = 256;

uint32_t le_u32(const unsigned char* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 | static_cast<uint32_t>(p[2]) << 16 |
         static_cast<uint32_t>(p[3]) << 24;
}
int32_t le_i32(const unsigned char* p) { return static_cast<int32_t>(le_u32(p)); }

std::ifstream open_binary(const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) fail("{}: no such file", path);
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("{}: cannot open", path);
  return in;
}

// The seven header ints: dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len.
llama2c_config parse_params(const unsigned char* p, int32_t version, const std::string& path) {
  llama2c_config c;
  c.version = version;
  c.dim = le_i32(p);
  c.hidden_dim = le_i32(p + 4);
  c.n_layers = le_i32(p + 8);
  c.n_heads = le_i32(p + 12);
  c.n_kv_heads = le_i32(p + 16);
  c.vocab_size = le_i32(p + 20);
  c.seq_len = le_i32(p + 24);
  if (version == 0) {  // v0: a negative vocab_size says the classifier is stored separately
    c.shared_classifier = c.vocab_size > 0;
    if (c.vocab_size < 0) c.vocab_size = -c.vocab_size;
  }
  std::string header = fmt::format("dim {}, hidden_dim {}, n_layers {}, n_heads {}, n_kv_heads {}, vocab_size {}, "
                                   "seq_len {}", c.dim, c.hidden_dim, c.n_layers, c.n_heads, c.n_kv_heads,
                                   c.vocab_size, c.seq_len);
  if (c.dim <= 0 || c.hidden_dim <= 0 || c.n_layers <= 0 || c.n_heads <= 0 || c.n_kv_heads <= 0 ||
      c.vocab_size <= 0 || c.seq_len <= 0)
    fail("{}: not a llama2.c checkpoint: header has a non-positive size ({})", path, header);
  if (c.dim % c.n_heads != 0 || c.n_heads % c.n_kv_heads != 0 || c.head_size() % 2 != 0)
    fail("{}: not a llama2.c checkpoint: dim must split into n_heads heads of even size and n_heads into "
         "n_kv_heads groups ({})", path, header);
  return c;
}

// float32 values the weights take, in file order, with their llama2.c names and shapes.
struct weight_spec {
  std::string name;
  std::vector<int64_t> shape;
};

std::vector<weight_spec> per_layer(const llama2c_config& c, const std::string& suffix, std::vector<int64_t> shape) {
  std::vector<weight_spec> specs;
  for (int32_t l = 0; l < c.n_layers; ++l) specs.push_back({fmt::format("layers.{}.{}", l, suffix), shape});
  return specs;
}

void append(std::vector<weight_spec>& to, const std::vector<weight_spec>& from) {
  to.insert(to.end(), from.begin(), from.end());
}

// The order export.py writes: legacy_export (v0) or version1_export (v1). v0 also stores RoPE's
// cos/sin tables (seq_len * head_size / 2 floats each) before the classifier; they are skipped.
std::vector<weight_spec> weight_layout(const llama2c_config& c) {
  int64_t d = c.dim, h = c.hidden_dim, kv = c.kv_dim(), v = c.vocab_size;
  std::vector<weight_spec> w;
  weight_spec embed{"tok_embeddings.weight", {v, d}}, norm{"norm.weight", {d}};
  if (c.version == 1) {
    append(w, per_layer(c, "attention_norm.weight", {d}));
    append(w, per_layer(c, "ffn_norm.weight", {d}));
    w.push_back(norm);
    w.push_back(embed);
  } else {
    w.push_back(embed);
    append(w, per_layer(c, "attention_norm.weight", {d}));
  }
  append(w, per_layer(c, "attention.wq.weight", {d, d}));
  append(w, per_layer(c, "attention.wk.weight", {kv, d}));
  append(w, per_layer(c, "attention.wv.weight", {kv, d}));
  append(w, per_layer(c, "attention.wo.weight", {d, d}));
  if (c.version == 0) append(w, per_layer(c, "ffn_norm.weight", {d}));
  append(w, per_layer(c, "feed_forward.w1.weight", {h, d}));
  append(w, per_layer(c, "feed_forward.w2.weight", {d, h}));
  append(w, per_layer(c, "feed_forward.w3.weight", {h, d}));
  if (c.version == 0) {
    w.push_back(norm);
    w.push_back({"", {int64_t{c.seq_len} * (c.head_size() / 2) * 2}});  // freq_cis real and imaginary
  }
  if (!c.shared_classifier) w.push_back({"output.weight", {v, d}});
  return w;
}

int64_t numel(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

}  // namespace

llama2c_checkpoint read_llama2c_checkpoint(const std::string& path) {
  std::ifstream in = open_binary(path);
  uint64_t file_bytes = std::filesystem::file_size(path);
  unsigned char head[v1_header_bytes] = {};
  in.read(reinterpret_cast<char*>(head), static_cast<std::streamsize>(std::min<uint64_t>(file_bytes, v1_header_bytes)));
  if (file_bytes < 28) fail("{}: {} bytes is too short for a llama2.c checkpoint header (28 bytes)", path, file_bytes);

  llama2c_checkpoint ckpt;
  uint64_t header_bytes = 28;
  if (le_u32(head) == llama2c_magic) {
    if (file_bytes < v1_header_bytes) fail("{}: {} bytes is too short for a llama2.c v1 header (256 bytes)", path, file_bytes);
    int32_t version = le_i32(head + 4);
    if (version == 2)
      fail("{}: llama2.c version 2 (int8 Q8_0) checkpoints are not supported; export float32 (version 0 or 1)", path);
    if (version != 1) fail("{}: unknown llama2.c checkpoint version {} (supported: 0 and 1)", path, version);
    ckpt.config = parse_params(head + 8, 1, path);
    ckpt.config.shared_classifier = head[36] != 0;
    header_bytes = v1_header_bytes;
  } else {
    ckpt.config = parse_params(head, 0, path);
  }
  const llama2c_config& c = ckpt.config;

  std::vector<weight_spec> layout = weight_layout(c);
  uint64_t floats = 0;
  for (const weight_spec& w : layout) floats += static_cast<uint64_t>(numel(w.shape));
  uint64_t expected = header_bytes + floats * 4;
  if (file_bytes != expected)
    fail("{}: expected {} bytes for a llama2.c v{} checkpoint with dim {}, hidden_dim {}, n_layers {}, n_heads {}, "
         "n_kv_heads {}, vocab_size {}, seq_len {} ({} classifier), but the file has {} bytes ({})",
         path, expected, c.version, c.dim, c.hidden_dim, c.n_layers, c.n_heads, c.n_kv_heads, c.vocab_size,
         c.seq_len, c.shared_classifier ? "shared" : "separate", file_bytes,
         file_bytes < expected ? "truncated" : "too long");

  in.seekg(static_cast<std::streamoff>(header_bytes));
  for (const weight_spec& w : layout) {
    at::Tensor t = at::empty(w.shape, at::kFloat);
    in.read(static_cast<char*>(t.data_ptr()), static_cast<std::streamsize>(t.numel() * 4));
    if (!in) fail("{}: read failed at tensor '{}'", path, w.name);
    if (!w.name.empty()) ckpt.weights[w.name] = t;
  }
  return ckpt;
}

llama2c_vocab read_llama2c_tokenizer(const std::string& path, int32_t vocab_size) {
  std::ifstream in = open_binary(path);
  uint64_t file_bytes = std::filesystem::file_size(path);
  std::string data(file_bytes, '\0');
  in.read(data.data(), static_cast<std::streamsize>(file_bytes));
  if (!in) fail("{}: read failed", path);
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());

  if (file_bytes < 4) fail("{}: {} bytes is too short for a llama2.c tokenizer", path, file_bytes);
  llama2c_vocab vocab;
  vocab.max_token_length = le_u32(p);
  uint64_t at = 4;
  for (int32_t i = 0; i < vocab_size; ++i) {
    if (file_bytes - at < 8)
      fail("{}: ends inside token {} of {} (the checkpoint's vocab_size): not this model's tokenizer, or truncated",
           path, i, vocab_size);
    llama2c_token token;
    uint32_t score_bits = le_u32(p + at);
    std::memcpy(&token.score, &score_bits, 4);
    uint32_t length = le_u32(p + at + 4);
    at += 8;
    if (length > vocab.max_token_length)
      fail("{}: token {} is {} bytes long, more than the file's maximum of {}: not a llama2.c tokenizer", path, i,
           length, vocab.max_token_length);
    if (file_bytes - at < length)
      fail("{}: ends inside token {} of {} (the checkpoint's vocab_size): not this model's tokenizer, or truncated",
           path, i, vocab_size);
    token.text.assign(data, at, length);
    at += length;
    vocab.tokens.push_back(std::move(token));
  }
  if (at != file_bytes)
    fail("{}: {} bytes remain after the {} tokens of the checkpoint's vocab_size: the tokenizer has more tokens than "
         "the model (expected {} bytes, the file has {})",
         path, file_bytes - at, vocab_size, at, file_bytes);
  return vocab;
}

}  // namespace harness
