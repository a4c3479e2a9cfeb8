#include "runtime/tokenizer_added.h"

#include <algorithm>
#include <memory>

#include "runtime/tokenizer_regex.h"
#include "runtime/tokenizer_utf8.h"

namespace harness {

namespace {

// Rust regex's \w (Unicode word character), used by single_word: approximated by PCRE2's \w under UCP.
bool is_word_char_at(std::string_view text, size_t pos) {
  static const tokenizer_regex word(R"(\A\w)", "single_word check");
  std::vector<std::pair<size_t, size_t>> found;
  size_t len = utf8_char_length(static_cast<unsigned char>(text[pos]));
  word.find_all(text.substr(pos, len), found);
  return !found.empty();
}

size_t start_of_previous_char(std::string_view text, size_t pos) {
  size_t p = pos - 1;
  while (p > 0 && (static_cast<unsigned char>(text[p]) & 0xC0) == 0x80) --p;
  return p;
}

// Start of the run of whitespace that ends at `pos`.
size_t whitespace_run_start(std::string_view text, size_t pos) {
  while (pos > 0) {
    size_t prev = start_of_previous_char(text, pos), len = 0;
    if (!is_unicode_whitespace(utf8_decode_at(text, prev, &len))) break;
    pos = prev;
  }
  return pos;
}

// End of the run of whitespace that starts at `pos`.
size_t whitespace_run_end(std::string_view text, size_t pos) {
  while (pos < text.size()) {
    size_t len = 0;
    if (!is_unicode_whitespace(utf8_decode_at(text, pos, &len))) break;
    pos += len;
  }
  return pos;
}

}  // namespace

added_token_matcher::added_token_matcher(const std::vector<added_token>& tokens,
                                         const std::vector<std::string>& patterns) {
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (patterns[i].empty()) continue;
    entries_.push_back({patterns[i], tokens[i].id, tokens[i].lstrip, tokens[i].rstrip, tokens[i].single_word});
  }
  std::stable_sort(entries_.begin(), entries_.end(),
                   [](const entry& a, const entry& b) { return a.pattern.size() > b.pattern.size(); });
  by_byte_.resize(256);
  for (size_t i = 0; i < entries_.size(); ++i)
    by_byte_[static_cast<unsigned char>(entries_[i].pattern[0])].push_back(static_cast<uint32_t>(i));
}

bool added_token_matcher::find_at(std::string_view text, size_t pos, const entry** found) const {
  for (uint32_t index : by_byte_[static_cast<unsigned char>(text[pos])]) {
    const entry& e = entries_[index];
    if (text.compare(pos, e.pattern.size(), e.pattern) == 0) {
      *found = &e;
      return true;
    }
  }
  return false;
}

std::vector<text_segment> added_token_matcher::split(std::string_view text) const {
  std::vector<text_segment> out;
  if (entries_.empty()) {
    if (!text.empty()) out.push_back({0, text.size(), -1});
    return out;
  }
  size_t plain_start = 0;  // start of the text not yet covered by a segment
  size_t pos = 0;
  while (pos < text.size()) {
    const entry* e = nullptr;
    if (!find_at(text, pos, &e)) {
      ++pos;
      continue;
    }
    size_t start = pos, stop = pos + e->pattern.size();
    if (e->single_word) {
      bool word_before = start > 0 && is_word_char_at(text, start_of_previous_char(text, start));
      bool word_after = stop < text.size() && is_word_char_at(text, stop);
      if (word_before || word_after) {
        pos = stop;  // like the Aho-Corasick scan Hugging Face uses, go on after the rejected match
        continue;
      }
    }
    if (e->lstrip) start = std::max(whitespace_run_start(text, start), plain_start);
    if (e->rstrip) stop = whitespace_run_end(text, stop);
    if (plain_start < start) out.push_back({plain_start, start, -1});
    out.push_back({start, stop, e->id});
    plain_start = pos = stop;
  }
  if (plain_start < text.size()) out.push_back({plain_start, text.size(), -1});
  return out;
}

}  // namespace harness
