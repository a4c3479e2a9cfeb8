// gguf_tokenizer.cpp: tokenizer.json and tokenizer_config.json from tokenizer.ggml.* metadata.
#include "runtime/gguf_tokenizer.h"

#include <optional>
#include <unordered_map>

#include "runtime/error.h"

namespace harness {

namespace {

using json = nlohmann::json;

// llama.cpp's token types (tokenizer.ggml.token_type).
constexpr int64_t token_control = 3;
constexpr int64_t token_user_defined = 4;

json byte_level_pre(bool use_regex) {
  return json{{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", use_regex}};
}

// The pre-tokeniser llama.cpp applies for tokenizer.ggml.pre (its llm_tokenizer_bpe regexes).
json pre_tokenizer_for(const gguf_file& file) {
  std::string pre = file.has("tokenizer.ggml.pre") ? file.get_string("tokenizer.ggml.pre") : "default";
  if (pre == "default" || pre == "gpt2" || pre == "gpt-2") return byte_level_pre(true);
  if (pre == "smollm") {
    json digits = {{"type", "Split"}, {"pattern", {{"Regex", "\\p{N}"}}}, {"behavior", "Isolated"}, {"invert", false}};
    return json{{"type", "Sequence"}, {"pretokenizers", json::array({digits, byte_level_pre(true)})}};
  }
  fail("{}: tokenizer.ggml.pre '{}' is not supported (default, gpt2, smollm)", file.path(), pre);
}

std::optional<int64_t> token_id(const gguf_file& file, const char* key, size_t vocab) {
  if (!file.has(key)) return std::nullopt;
  int64_t id = file.get_int(key);
  if (id < 0 || static_cast<size_t>(id) >= vocab)
    fail("{}: metadata '{}' = {} is not a token id (the vocabulary has {} tokens)", file.path(), key, id, vocab);
  return id;
}

void check_model(const gguf_file& file) {
  std::string model = file.get_string("tokenizer.ggml.model");
  if (model != "gpt2")
    fail("{}: tokenizer.ggml.model '{}' is not supported (only 'gpt2', byte-level BPE)", file.path(), model);
}

}  // namespace

json gguf_tokenizer_json(const gguf_file& file) {
  check_model(file);
  const std::vector<std::string>& tokens = file.get_string_array("tokenizer.ggml.tokens");
  std::vector<int64_t> types = file.has("tokenizer.ggml.token_type") ? file.get_int_array("tokenizer.ggml.token_type")
                                                                     : std::vector<int64_t>(tokens.size(), 1);
  if (types.size() != tokens.size())
    fail("{}: tokenizer.ggml.token_type has {} entries for {} tokens", file.path(), types.size(), tokens.size());

  json vocab = json::object();
  std::unordered_map<std::string, size_t> first_id;
  json added = json::array();
  for (size_t id = 0; id < tokens.size(); ++id) {
    if (auto [it, fresh] = first_id.emplace(tokens[id], id); !fresh)
      fail("{}: tokenizer.ggml.tokens holds '{}' twice (ids {} and {})", file.path(), tokens[id], it->second, id);
    vocab[tokens[id]] = id;
    if (types[id] == token_control || types[id] == token_user_defined)
      added.push_back({{"id", id}, {"content", tokens[id]}, {"single_word", false}, {"lstrip", false},
                       {"rstrip", false}, {"normalized", false}, {"special", types[id] == token_control}});
  }
  json merges = json::array();
  for (const std::string& m : file.get_string_array("tokenizer.ggml.merges")) merges.push_back(m);

  json post = {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", false}, {"use_regex", true}};
  bool add_bos = file.has("tokenizer.ggml.add_bos_token") && file.get_bool("tokenizer.ggml.add_bos_token");
  if (add_bos) {
    auto bos = token_id(file, "tokenizer.ggml.bos_token_id", tokens.size());
    if (!bos) fail("{}: tokenizer.ggml.add_bos_token is set but there is no tokenizer.ggml.bos_token_id", file.path());
    const std::string& text = tokens[static_cast<size_t>(*bos)];
    post = {{"type", "TemplateProcessing"},
            {"single", json::array({{{"SpecialToken", {{"id", text}, {"type_id", 0}}}},
                                    {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}})},
            {"pair", json::array({{{"SpecialToken", {{"id", text}, {"type_id", 0}}}},
                                  {{"Sequence", {{"id", "A"}, {"type_id", 0}}}},
                                  {{"SpecialToken", {{"id", text}, {"type_id", 1}}}},
                                  {{"Sequence", {{"id", "B"}, {"type_id", 1}}}}})},
            {"special_tokens", {{text, {{"id", text}, {"ids", json::array({*bos})}, {"tokens", json::array({text})}}}}}};
  }

  json model = {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr}, {"continuing_subword_prefix", nullptr},
                {"end_of_word_suffix", nullptr}, {"fuse_unk", false}, {"byte_fallback", false},
                {"ignore_merges", false}, {"vocab", vocab}, {"merges", merges}};
  if (auto unk = token_id(file, "tokenizer.ggml.unknown_token_id", tokens.size()))
    model["unk_token"] = tokens[static_cast<size_t>(*unk)];
  return json{{"version", "1.0"},
              {"truncation", nullptr},
              {"padding", nullptr},
              {"added_tokens", added},
              {"normalizer", nullptr},
              {"pre_tokenizer", pre_tokenizer_for(file)},
              {"post_processor", post},
              {"decoder", {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}}},
              {"model", model}};
}

json gguf_tokenizer_config(const gguf_file& file) {
  check_model(file);
  const std::vector<std::string>& tokens = file.get_string_array("tokenizer.ggml.tokens");
  json config = {{"tokenizer_class", "PreTrainedTokenizerFast"}, {"clean_up_tokenization_spaces", false}};
  const std::pair<const char*, const char*> specials[] = {{"bos_token", "tokenizer.ggml.bos_token_id"},
                                                          {"eos_token", "tokenizer.ggml.eos_token_id"},
                                                          {"unk_token", "tokenizer.ggml.unknown_token_id"},
                                                          {"pad_token", "tokenizer.ggml.padding_token_id"}};
  for (const auto& [field, key] : specials)
    if (auto id = token_id(file, key, tokens.size())) config[field] = tokens[static_cast<size_t>(*id)];
  config["add_bos_token"] = file.has("tokenizer.ggml.add_bos_token") && file.get_bool("tokenizer.ggml.add_bos_token");
  config["add_eos_token"] = file.has("tokenizer.ggml.add_eos_token") && file.get_bool("tokenizer.ggml.add_eos_token");
  if (file.has("general.architecture")) {
    std::string context = file.get_string("general.architecture") + ".context_length";
    if (file.has(context)) config["model_max_length"] = file.get_uint(context);
  }
  if (file.has("tokenizer.chat_template")) config["chat_template"] = file.get_string("tokenizer.chat_template");
  return config;
}

}  // namespace harness
