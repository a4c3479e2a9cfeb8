// llama2c_tokenizer_json.cpp: a llama2.c vocabulary -> Hugging Face tokenizer.json / tokenizer_config.json.
#include "runtime/llama2c_tokenizer_json.h"

#include <algorithm>
#include <tuple>
#include <unordered_map>

#include <fmt/format.h>

#include "runtime/error.h"
#include "runtime/tokenizer_utf8.h"

namespace harness {

namespace {

using ojson = nlohmann::ordered_json;
const char* const space_marker = "\xE2\x96\x81";  // U+2581 '▁', SentencePiece's whitespace

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

size_t code_points(const std::string& text) {
  size_t n = 0;
  for (size_t at = 0; at < text.size(); at += utf8_char_length(static_cast<unsigned char>(text[at]))) ++n;
  return n;
}

ojson added_token(int id, const std::string& content) {
  return {{"id", id},           {"content", content}, {"single_word", false}, {"lstrip", false},
          {"rstrip", false},    {"normalized", false}, {"special", true}};
}

}  // namespace

std::vector<std::string> llama2c_pieces(const llama2c_vocab& vocab, const std::string& source) {
  const auto& t = vocab.tokens;
  if (t.size() < 259) fail("{}: {} tokens; a llama2.c tokenizer has <unk>, <s>, </s> and 256 byte tokens first", source, t.size());
  if (t[0].text != "<unk>" || t[1].text != "\n<s>\n" || t[2].text != "\n</s>\n")
    fail("{}: tokens 0..2 must be <unk>, BOS (\"\\n<s>\\n\") and EOS (\"\\n</s>\\n\") as llama2.c writes them", source);
  std::vector<std::string> pieces;
  pieces.reserve(t.size());
  for (size_t id = 0; id < t.size(); ++id) {
    const std::string& text = t[id].text;
    if (id >= 3 && id < 259 && text != fmt::format("<0x{:02X}>", id - 3))
      fail("{}: token {} is '{}', expected the byte token <0x{:02X}> (llama2.c puts bytes at ids 3..258)", source, id,
           text, id - 3);
    if (utf8_first_invalid(text) != std::string::npos) fail("{}: token {} is not valid UTF-8", source, id);
    pieces.push_back(id == 1 ? "<s>" : id == 2 ? "</s>" : replace_all(text, " ", space_marker));
  }
  return pieces;
}

std::vector<std::pair<std::string, std::string>> sentencepiece_merges(const std::vector<std::string>& pieces,
                                                                      const std::vector<float>& scores) {
  std::unordered_map<std::string, size_t> id;
  for (size_t i = 0; i < pieces.size(); ++i) id.emplace(pieces[i], i);
  struct merge {
    size_t left, right;  // ids
    float score;         // of the merged piece
    size_t left_chars, right_chars;
  };
  std::vector<merge> merges;
  for (size_t whole = 0; whole < pieces.size(); ++whole) {
    const std::string& piece = pieces[whole];
    if (piece.empty()) continue;
    std::vector<merge> local;
    size_t split = utf8_char_length(static_cast<unsigned char>(piece[0]));
    for (size_t chars = 1; split < piece.size(); ++chars) {
      auto l = id.find(piece.substr(0, split)), r = id.find(piece.substr(split));
      if (l != id.end() && r != id.end())
        local.push_back({l->second, r->second, scores[whole], chars, code_points(piece) - chars});
      split += utf8_char_length(static_cast<unsigned char>(piece[split]));
    }
    std::sort(local.begin(), local.end(),
              [](const merge& a, const merge& b) { return std::tie(a.left, a.right) < std::tie(b.left, b.right); });
    merges.insert(merges.end(), local.begin(), local.end());
  }
  std::stable_sort(merges.begin(), merges.end(), [](const merge& a, const merge& b) {
    return std::tie(a.score, a.left_chars, a.right_chars) > std::tie(b.score, b.left_chars, b.right_chars);
  });
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(merges.size());
  for (const merge& m : merges) out.emplace_back(pieces[m.left], pieces[m.right]);
  return out;
}

nlohmann::ordered_json llama2c_tokenizer_json(const llama2c_vocab& vocab, const std::string& source) {
  std::vector<std::string> pieces = llama2c_pieces(vocab, source);
  std::vector<float> scores;
  for (const llama2c_token& t : vocab.tokens) scores.push_back(t.score);

  ojson vocab_json = ojson::object();
  for (size_t i = 0; i < pieces.size(); ++i) {
    if (vocab_json.contains(pieces[i])) fail("{}: token {} ('{}') appears twice", source, i, pieces[i]);
    vocab_json[pieces[i]] = i;
  }
  ojson merges = ojson::array();
  for (const auto& [l, r] : sentencepiece_merges(pieces, scores)) merges.push_back(l + " " + r);

  ojson bos = {{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}};
  ojson bos_b = {{"SpecialToken", {{"id", "<s>"}, {"type_id", 1}}}};
  ojson seq_a = {{"Sequence", {{"id", "A"}, {"type_id", 0}}}};
  ojson seq_b = {{"Sequence", {{"id", "B"}, {"type_id", 1}}}};
  ojson j;
  j["version"] = "1.0";
  j["truncation"] = nullptr;
  j["padding"] = nullptr;
  j["added_tokens"] = {added_token(0, "<unk>"), added_token(1, "<s>"), added_token(2, "</s>")};
  j["normalizer"] = {{"type", "Sequence"},
                     {"normalizers",
                      {{{"type", "Prepend"}, {"prepend", space_marker}},
                       {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", space_marker}}}}};
  j["pre_tokenizer"] = nullptr;
  j["post_processor"] = {{"type", "TemplateProcessing"},
                         {"single", {bos, seq_a}},
                         {"pair", {bos, seq_a, bos_b, seq_b}},
                         {"special_tokens", {{"<s>", {{"id", "<s>"}, {"ids", {1}}, {"tokens", {"<s>"}}}}}}};
  j["decoder"] = {{"type", "Sequence"},
                  {"decoders",
                   {{{"type", "Replace"}, {"pattern", {{"String", space_marker}}}, {"content", " "}},
                    {{"type", "ByteFallback"}},
                    {{"type", "Fuse"}},
                    {{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}}}}};
  j["model"] = {{"type", "BPE"},
                {"dropout", nullptr},
                {"unk_token", "<unk>"},
                {"continuing_subword_prefix", nullptr},
                {"end_of_word_suffix", nullptr},
                {"fuse_unk", true},
                {"byte_fallback", true},
                {"ignore_merges", false},
                {"vocab", vocab_json},
                {"merges", merges}};
  return j;
}

nlohmann::ordered_json llama2c_tokenizer_config(int64_t max_length) {
  return {{"add_bos_token", true},
          {"add_eos_token", false},
          {"bos_token", "<s>"},
          {"eos_token", "</s>"},
          {"unk_token", "<unk>"},
          {"pad_token", nullptr},
          {"clean_up_tokenization_spaces", false},
          {"model_max_length", max_length},
          {"tokenizer_class", "PreTrainedTokenizerFast"}};
}

}  // namespace harness
