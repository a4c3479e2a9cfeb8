// tokenizer_pattern.h: the "pattern" of a Split pre-tokenizer or a Replace normalizer/decoder in
// tokenizer.json: {"String": literal} or {"Regex": pattern}. Finds all non-overlapping matches.
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/tokenizer_regex.h"

namespace harness {

class tokenizer_pattern {
 public:
  // `where` names the file and field, for error messages.
  tokenizer_pattern(const nlohmann::json& spec, const std::string& where);

  void find_all(std::string_view text, std::vector<std::pair<size_t, size_t>>& out) const;
  // `text` with every match replaced by `content`.
  std::string replace_all(std::string_view text, std::string_view content) const;

 private:
  std::string literal_;
  std::unique_ptr<tokenizer_regex> regex_;  // null for a literal
};

}  // namespace harness
