// tokenizer_specials.h: which BOS and EOS tokens a tokenizer uses and whether encoding prepends BOS by
// default, read from the files Hugging Face keeps beside a tokenizer:
//   BOS/EOS token: tokenizer_config.json "bos_token"/"eos_token" ("text" or {"content": "text"}), else
//     special_tokens_map.json, else (vocab.json + merges.txt only) GPT-2's default <|endoftext|>, else
//     config.json "bos_token_id"/"eos_token_id" (the first, if a list), else the special tokens the
//     tokenizer.json post_processor template puts before / after the text.
//   BOS by default: tokenizer_config.json "add_bos_token" (OPT: true), else whether the post_processor
//     template prepends a special token (Llama-3.x, tinystories-656k), else false for vocab.json +
//     merges.txt (GPT2Tokenizer's default), else true exactly when a BOS token is known (a Llama
//     tokenizer.json beside a config.json that names bos_token_id).
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace harness {

// tokenizer_config.json, special_tokens_map.json and config.json of a directory (null when absent).
struct tokenizer_side_files {
  std::string dir;
  nlohmann::json tokenizer_config;
  nlohmann::json special_tokens_map;
  nlohmann::json config;
  std::vector<std::string> paths;  // the files that exist and were read
};
tokenizer_side_files read_tokenizer_side_files(const std::string& dir);

// The special tokens a post_processor adds before and after a single text.
struct post_processor_template {
  std::vector<int32_t> prefix;
  std::vector<int32_t> suffix;
};
// Reads TemplateProcessing, RobertaProcessing and BertProcessing (also inside a Sequence); nullopt for
// any other post_processor (such as ByteLevel) or none.
std::optional<post_processor_template> read_post_processor(const nlohmann::json& spec, const std::string& where);

// The token text a config field names ("text" or {"content": "text"}); nullopt if absent or null.
std::optional<std::string> special_token_content(const nlohmann::json& config, const char* field,
                                                 const std::string& where);

struct special_tokens {
  std::optional<int32_t> bos;
  std::optional<int32_t> eos;
  bool add_bos = false;
};
// `lookup` maps a token text to its id. Fails, naming the file, if a named token is not in the vocabulary.
special_tokens resolve_special_tokens(const tokenizer_side_files& side,
                                      const std::optional<post_processor_template>& post, bool vocab_format,
                                      const std::function<std::optional<int32_t>(const std::string&)>& lookup);

}  // namespace harness
