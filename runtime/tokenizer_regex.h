// tokenizer_regex.h: a compiled PCRE2 pattern (UTF + UCP, JIT when available) that finds every match in
// a text. Pre-tokenisation patterns need \p{L}, \p{N} and look-ahead, which std::regex lacks.
// Hugging Face tokenizers runs these patterns with Oniguruma, whose \s also matches U+0085 (NEL);
// PCRE2's does not, so \s and \S outside classes (and \s inside classes) are widened to include it.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace harness {

class tokenizer_regex {
 public:
  // `where` names the file and the field the pattern came from, for error messages.
  tokenizer_regex(const std::string& pattern, const std::string& where);
  ~tokenizer_regex();
  tokenizer_regex(const tokenizer_regex&) = delete;
  tokenizer_regex& operator=(const tokenizer_regex&) = delete;

  // Byte ranges [begin, end) of the successive non-overlapping matches in `text` (valid UTF-8), appended
  // to `out`. An empty match is skipped and the search moves on one character.
  void find_all(std::string_view text, std::vector<std::pair<size_t, size_t>>& out) const;

 private:
  void* code_ = nullptr;  // pcre2_code_8*
  std::string where_;
};

// The pattern with \s widened to Oniguruma's set (see above).
std::string oniguruma_compatible_pattern(std::string_view pattern);

}  // namespace harness
