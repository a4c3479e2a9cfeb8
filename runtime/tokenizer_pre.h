// tokenizer_pre.h: the "pre_tokenizer" section of tokenizer.json, which cuts each normalised run of text
// into pre-tokens that the model encodes separately. Supported: Sequence, Split (String or Regex pattern,
// every behaviour, invert), ByteLevel (add_prefix_space, use_regex with GPT-2's pattern, then the
// byte-to-unicode map) and Metaspace. Other types fail at load, naming the file and the type.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace harness {

struct pre_token {
  std::string text;
  bool at_text_start = false;  // starts at byte 0 of the caller's text (Metaspace prepend_scheme "first")
};

class pre_tokenizer {
 public:
  virtual ~pre_tokenizer() = default;
  // Replaces each piece by the pieces it splits into; empty pieces are dropped.
  virtual void apply(std::vector<pre_token>& pieces) const = 0;
};

// nullptr for a null section. `where` names the file and section for errors.
std::unique_ptr<pre_tokenizer> read_pre_tokenizer(const nlohmann::json& spec, const std::string& where);

// GPT-2's pre-tokenisation pattern (ByteLevel with use_regex, and vocab.json + merges.txt tokenizers).
extern const char* const gpt2_split_pattern;

// A byte-level pre-tokenizer for GPT-2-style vocab.json + merges.txt: GPT-2 pattern, no prefix space.
std::unique_ptr<pre_tokenizer> make_gpt2_pre_tokenizer();

}  // namespace harness
