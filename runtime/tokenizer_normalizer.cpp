#include "runtime/tokenizer_normalizer.h"

#include <vector>

#include <fmt/format.h>

#include "runtime/error.h"
#include "runtime/tokenizer_json.h"
#include "runtime/tokenizer_pattern.h"
#include "runtime/tokenizer_utf8.h"

namespace harness {

namespace {

class sequence_normalizer : public text_normalizer {
 public:
  explicit sequence_normalizer(std::vector<std::unique_ptr<text_normalizer>> steps) : steps_(std::move(steps)) {}
  void apply(std::string& text) const override {
    for (const auto& step : steps_) step->apply(text);
  }

 private:
  std::vector<std::unique_ptr<text_normalizer>> steps_;
};

// Prepends a string to non-empty text (the Llama-2 "▁" prefix).
class prepend_normalizer : public text_normalizer {
 public:
  explicit prepend_normalizer(std::string prefix) : prefix_(std::move(prefix)) {}
  void apply(std::string& text) const override {
    if (!text.empty()) text.insert(0, prefix_);
  }

 private:
  std::string prefix_;
};

class replace_normalizer : public text_normalizer {
 public:
  replace_normalizer(const nlohmann::json& pattern, std::string content, const std::string& where)
      : pattern_(pattern, where), content_(std::move(content)) {}
  void apply(std::string& text) const override { text = pattern_.replace_all(text, content_); }

 private:
  tokenizer_pattern pattern_;
  std::string content_;
};

// Removes leading and/or trailing Unicode whitespace.
class strip_normalizer : public text_normalizer {
 public:
  strip_normalizer(bool left, bool right) : left_(left), right_(right) {}
  void apply(std::string& text) const override {
    size_t begin = 0, end = text.size(), len = 0;
    if (left_)
      while (begin < end && is_unicode_whitespace(utf8_decode_at(text, begin, &len))) begin += len;
    if (right_) {
      while (end > begin) {
        size_t start = end - 1;
        while (start > begin && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
        if (!is_unicode_whitespace(utf8_decode_at(text, start, &len))) break;
        end = start;
      }
    }
    text = text.substr(begin, end - begin);
  }

 private:
  bool left_, right_;
};

}  // namespace

std::unique_ptr<text_normalizer> read_normalizer(const nlohmann::json& spec, const std::string& where) {
  if (spec.is_null()) return nullptr;
  std::string type = json_type(spec, where);
  if (type == "Sequence") {
    const nlohmann::json& list = json_field(spec, "normalizers", where);
    if (!list.is_array()) fail("{}: field 'normalizers' must be a list", where);
    std::vector<std::unique_ptr<text_normalizer>> steps;
    for (size_t i = 0; i < list.size(); ++i)
      if (auto step = read_normalizer(list[i], fmt::format("{}.normalizers[{}]", where, i))) steps.push_back(std::move(step));
    return std::make_unique<sequence_normalizer>(std::move(steps));
  }
  if (type == "Prepend") return std::make_unique<prepend_normalizer>(json_string(spec, "prepend", where));
  if (type == "Replace")
    return std::make_unique<replace_normalizer>(json_field(spec, "pattern", where), json_string(spec, "content", where),
                                                where + ".pattern");
  if (type == "Strip")
    return std::make_unique<strip_normalizer>(json_bool_or(spec, "strip_left", true, where),
                                              json_bool_or(spec, "strip_right", true, where));
  fail("{}: normalizer type '{}' is not supported (supported: Sequence, Prepend, Replace, Strip)", where, type);
}

}  // namespace harness
