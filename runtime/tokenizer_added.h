// tokenizer_added.h: added tokens (special tokens such as <|begin_of_text|>, and user-added ones), which
// Hugging Face matches in the text before any normalisation or splitting: leftmost match first, the
// longest at a position, honouring lstrip / rstrip (absorb neighbouring whitespace) and single_word.
// Tokens with "normalized": false are matched in the raw text; those with "normalized": true are
// matched, by their normalised content, in each normalised piece of text between the former.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace harness {

struct added_token {
  int32_t id = -1;
  std::string content;
  bool special = false;
  bool normalized = false;
  bool lstrip = false;
  bool rstrip = false;
  bool single_word = false;
};

// A run of text, [begin, end) in bytes; `id` is the added token it matched, or -1 for plain text.
struct text_segment {
  size_t begin;
  size_t end;
  int32_t id;
};

class added_token_matcher {
 public:
  added_token_matcher() = default;
  // `patterns[i]` is the text that stands for tokens[i] (its content, or its normalised content).
  added_token_matcher(const std::vector<added_token>& tokens, const std::vector<std::string>& patterns);

  bool empty() const { return entries_.empty(); }
  // Splits `text` into plain runs and matched tokens, in order; empty plain runs are left out.
  std::vector<text_segment> split(std::string_view text) const;

 private:
  struct entry {
    std::string pattern;
    int32_t id;
    bool lstrip, rstrip, single_word;
  };
  bool find_at(std::string_view text, size_t pos, const entry** found) const;

  std::vector<entry> entries_;                 // sorted by first byte, then longest first
  std::vector<std::vector<uint32_t>> by_byte_;  // first byte -> indices into entries_
};

}  // namespace harness
