// llama2.c import tests: the q/k row permutation turns llama2.c's interleaved RoPE into Hugging Face's
// rotate-half RoPE (both written out here from their definitions); v0 and v1 checkpoint files of the
// same weights read the same; the stories260K header and tokenizer read as llama2.c documents them;
// merges follow the SentencePiece converter's rule.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <fstream>

#include "runtime/import_llama2c.h"
#include "runtime/llama2c.h"
#include "runtime/rope.h"
#include "runtime/llama2c_tokenizer_json.h"
#include "tests/test_support.h"

namespace harness {
namespace {

namespace fs = std::filesystem;

// llama2.c's RoPE (run.c): within each head, pair (2j, 2j+1) turns by pos * 10000^(-2j/hs).
at::Tensor rope_interleaved(const at::Tensor& v, int64_t heads, int64_t pos) {  // v [heads*hs]
  at::Tensor out = v.clone();
  int64_t hs = v.size(0) / heads;
  auto a = v.accessor<float, 1>();
  auto o = out.accessor<float, 1>();
  for (int64_t h = 0; h < heads; ++h)
    for (int64_t j = 0; j < hs / 2; ++j) {
      double angle = static_cast<double>(pos) * std::pow(10000.0, -2.0 * static_cast<double>(j) / static_cast<double>(hs));
      int64_t x = h * hs + 2 * j, y = x + 1;
      o[x] = static_cast<float>(a[x] * std::cos(angle) - a[y] * std::sin(angle));
      o[y] = static_cast<float>(a[x] * std::sin(angle) + a[y] * std::cos(angle));
    }
  return out;
}

// Hugging Face's RoPE (rotate_half): within each head, (j, j + hs/2) turns by the same angles.
at::Tensor rope_rotate_half(const at::Tensor& v, int64_t heads, int64_t pos) {
  at::Tensor out = v.clone();
  int64_t hs = v.size(0) / heads;
  auto a = v.accessor<float, 1>();
  auto o = out.accessor<float, 1>();
  for (int64_t h = 0; h < heads; ++h)
    for (int64_t j = 0; j < hs / 2; ++j) {
      double angle = static_cast<double>(pos) * std::pow(10000.0, -2.0 * static_cast<double>(j) / static_cast<double>(hs));
      int64_t x = h * hs + j, y = x + hs / 2;
      o[x] = static_cast<float>(a[x] * std::cos(angle) - a[y] * std::sin(angle));
      o[y] = static_cast<float>(a[y] * std::cos(angle) + a[x] * std::sin(angle));
    }
  return out;
}

void put_floats(std::ofstream& out, const at::Tensor& t) {
  at::Tensor c = t.contiguous();
  out.write(static_cast<const char*>(c.data_ptr()), static_cast<std::streamsize>(c.numel() * 4));
}

void put_i32(std::ofstream& out, int32_t v) { out.write(reinterpret_cast<const char*>(&v), 4); }

}  // namespace

CATCH_TEST_CASE("llama2c: the q/k permutation maps interleaved RoPE onto rotate-half RoPE", "[llama2c]") {
  at::manual_seed(7);
  const int64_t heads = 4, hs = 8, in = 12;
  at::Tensor w = at::randn({heads * hs, in});  // [heads*hs, in], llama2.c layout
  at::Tensor x = at::randn({in});
  at::Tensor w_hf = interleaved_to_rotate_half(w, heads);
  for (int64_t pos : {0, 1, 5, 37}) {
    at::Tensor llama2c_q = rope_interleaved(at::mv(w, x), heads, pos);
    at::Tensor hf_q = rope_rotate_half(at::mv(w_hf, x), heads, pos);
    // The same rotated vector, its rows in the permuted order: so every q.k score is unchanged.
    CATCH_CHECK(at::allclose(hf_q, interleaved_to_rotate_half(llama2c_q.unsqueeze(1), heads).squeeze(1), 1e-5, 1e-5));
  }
  // Row h*hs + c*hs/2 + j of the result is row h*hs + 2j + c of the input.
  at::Tensor rows = at::arange(heads * hs, at::kFloat).unsqueeze(1);
  at::Tensor moved = interleaved_to_rotate_half(rows, heads).squeeze(1);
  CATCH_CHECK(moved[0].item<float>() == 0);
  CATCH_CHECK(moved[1].item<float>() == 2);
  CATCH_CHECK(moved[hs / 2].item<float>() == 1);
  CATCH_CHECK(moved[hs + hs / 2 + 3].item<float>() == hs + 7);
}

CATCH_TEST_CASE("llama2c: v0 and v1 files of the same weights read the same", "[llama2c]") {
  test::temp_dir dir("llama2c-versions");
  at::manual_seed(3);
  const int32_t dim = 16, hidden = 24, layers = 2, heads = 4, kv_heads = 2, vocab = 20, seq = 8;
  const int64_t kv = kv_heads * (dim / heads);
  auto per_layer = [&](std::vector<int64_t> shape) {
    std::vector<at::Tensor> t;
    for (int i = 0; i < layers; ++i) t.push_back(at::randn(shape));
    return t;
  };
  at::Tensor embed = at::randn({vocab, dim}), norm = at::randn({dim}), output = at::randn({vocab, dim});
  auto att_norm = per_layer({dim}), ffn_norm = per_layer({dim}), wq = per_layer({dim, dim}), wk = per_layer({kv, dim}),
       wv = per_layer({kv, dim}), wo = per_layer({dim, dim}), w1 = per_layer({hidden, dim}),
       w2 = per_layer({dim, hidden}), w3 = per_layer({hidden, dim});
  auto put_all = [](std::ofstream& out, const std::vector<at::Tensor>& ts) {
    for (const auto& t : ts) put_floats(out, t);
  };
  std::string v0 = (dir.path() / "v0.bin").string(), v1 = (dir.path() / "v1.bin").string();
  {  // export.py legacy_export, unshared classifier (negative vocab_size)
    std::ofstream out(v0, std::ios::binary);
    for (int32_t v : {dim, hidden, layers, heads, kv_heads, -vocab, seq}) put_i32(out, v);
    put_floats(out, embed);
    for (const auto* g : {&att_norm, &wq, &wk, &wv, &wo, &ffn_norm, &w1, &w2, &w3}) put_all(out, *g);
    put_floats(out, norm);
    put_floats(out, at::zeros({seq * (dim / heads)}));  // freq_cis real and imaginary halves
    put_floats(out, output);
  }
  {  // export.py version1_export: 256-byte header with magic, version, params, shared flag
    std::ofstream out(v1, std::ios::binary);
    put_i32(out, 0x616b3432);
    put_i32(out, 1);
    for (int32_t v : {dim, hidden, layers, heads, kv_heads, vocab, seq}) put_i32(out, v);
    out.put(0);  // classifier not shared
    out.write(std::string(256 - 37, '\0').data(), 256 - 37);
    put_all(out, att_norm);
    put_all(out, ffn_norm);
    put_floats(out, norm);
    put_floats(out, embed);
    for (const auto* g : {&wq, &wk, &wv, &wo, &w1, &w2, &w3}) put_all(out, *g);
    put_floats(out, output);
  }
  llama2c_checkpoint a = read_llama2c_checkpoint(v0), b = read_llama2c_checkpoint(v1);
  CATCH_CHECK(a.config.version == 0);
  CATCH_CHECK(b.config.version == 1);
  CATCH_CHECK_FALSE(a.config.shared_classifier);
  CATCH_CHECK_FALSE(b.config.shared_classifier);
  CATCH_CHECK(a.config.vocab_size == vocab);
  CATCH_REQUIRE(a.weights.size() == b.weights.size());
  for (const auto& [name, t] : a.weights) {
    CATCH_INFO(name);
    CATCH_CHECK(at::equal(t, b.weights.at(name)));
  }
  CATCH_CHECK(at::equal(a.weights.at("layers.1.attention.wk.weight"), wk[1]));
  CATCH_CHECK(at::equal(a.weights.at("layers.0.feed_forward.w2.weight"), w2[0]));
  CATCH_CHECK(at::equal(a.weights.at("output.weight"), output));
  auto hf = llama2c_to_hf_weights(a);
  CATCH_CHECK(at::equal(hf.at("lm_head.weight"), output));
  CATCH_CHECK(at::equal(hf.at("model.layers.1.mlp.up_proj.weight"), w3[1]));
  CATCH_CHECK(llama2c_hf_config(a.config)["tie_word_embeddings"] == false);
}

CATCH_TEST_CASE("llama2c: stories260K reads as llama2.c documents it", "[llama2c]") {
  fs::path models = test::project_dir() / "data" / "models" / "stories260K";
  llama2c_checkpoint ckpt = read_llama2c_checkpoint((models / "stories260K.bin").string());
  const llama2c_config& c = ckpt.config;  // doc/stories260K.md: dim 64, 5 layers, 8 heads, 4 kv heads, vocab 512
  CATCH_CHECK(c.version == 0);
  CATCH_CHECK(c.dim == 64);
  CATCH_CHECK(c.hidden_dim == 172);
  CATCH_CHECK(c.n_layers == 5);
  CATCH_CHECK(c.n_heads == 8);
  CATCH_CHECK(c.n_kv_heads == 4);
  CATCH_CHECK(c.vocab_size == 512);
  CATCH_CHECK(c.seq_len == 512);
  CATCH_CHECK(c.shared_classifier);
  llama2c_vocab vocab = read_llama2c_tokenizer((models / "tok512.bin").string(), c.vocab_size);
  CATCH_CHECK(vocab.tokens.size() == 512);
  CATCH_CHECK(vocab.tokens[1].text == "\n<s>\n");
  CATCH_CHECK(vocab.tokens[3 + 0x41].text == "<0x41>");
  std::vector<std::string> pieces = llama2c_pieces(vocab, "tok512.bin");
  CATCH_CHECK(pieces[1] == "<s>");
  CATCH_CHECK(pieces[403] == "\xE2\x96\x81Once");  // " Once" in the file
}

CATCH_TEST_CASE("llama2c: merges rank every split of a piece by the piece's score", "[llama2c]") {
  // "ab" (score -1) splits one way; "abc" (-0.5) two ways: longer left part first; "c" is a plain piece.
  std::vector<std::string> pieces = {"a", "b", "c", "ab", "bc", "abc"};
  std::vector<float> scores = {-10, -11, -12, -1, -2, -0.5f};
  auto merges = sentencepiece_merges(pieces, scores);
  std::vector<std::pair<std::string, std::string>> expected = {{"ab", "c"}, {"a", "bc"}, {"a", "b"}, {"b", "c"}};
  CATCH_CHECK(merges == expected);
  // Splits fall on UTF-8 character boundaries only.
  auto utf8 = sentencepiece_merges({"\xC3\xA9", "x", "\xC3\xA9x"}, {-3, -4, -1});
  CATCH_REQUIRE(utf8.size() == 1);
  CATCH_CHECK(utf8[0].first == "\xC3\xA9");
}

}  // namespace harness
