#include "runtime/tokenizer_pattern.h"

#include "runtime/error.h"

namespace harness {

tokenizer_pattern::tokenizer_pattern(const nlohmann::json& spec, const std::string& where) {
  if (spec.is_object() && spec.size() == 1 && spec.begin().value().is_string()) {
    const auto entry = spec.begin();
    const std::string& kind = entry.key();
    const std::string& value = entry.value().get_ref<const std::string&>();
    if (kind == "String") {
      if (value.empty()) fail("{}: empty String pattern", where);
      literal_ = value;
      return;
    }
    if (kind == "Regex") {
      regex_ = std::make_unique<tokenizer_regex>(value, where);
      return;
    }
  }
  fail("{}: pattern must be {{\"String\": ...}} or {{\"Regex\": ...}}, got {}", where, spec.dump());
}

void tokenizer_pattern::find_all(std::string_view text, std::vector<std::pair<size_t, size_t>>& out) const {
  if (regex_) {
    regex_->find_all(text, out);
    return;
  }
  for (size_t pos = text.find(literal_); pos != std::string_view::npos; pos = text.find(literal_, pos)) {
    out.emplace_back(pos, pos + literal_.size());
    pos += literal_.size();
  }
}

std::string tokenizer_pattern::replace_all(std::string_view text, std::string_view content) const {
  std::vector<std::pair<size_t, size_t>> matches;
  find_all(text, matches);
  if (matches.empty()) return std::string(text);
  std::string out;
  out.reserve(text.size() + matches.size() * content.size());
  size_t done = 0;
  for (const auto& [begin, end] : matches) {
    out.append(text.substr(done, begin - done));
    out.append(content);
    done = end;
  }
  out.append(text.substr(done));
  return out;
}

}  // namespace harness
