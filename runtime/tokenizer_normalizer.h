// tokenizer_normalizer.h: the "normalizer" section of tokenizer.json, applied to each run of text
// between added tokens. Supported: Sequence, Prepend, Replace (String or Regex pattern), Strip.
// Unicode normalisation forms (NFC, NFKC, ...) and case folding are not: loading fails naming them.
#pragma once
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

namespace harness {

class text_normalizer {
 public:
  virtual ~text_normalizer() = default;
  virtual void apply(std::string& text) const = 0;
};

// nullptr for a null section. `where` names the file and section for errors.
std::unique_ptr<text_normalizer> read_normalizer(const nlohmann::json& spec, const std::string& where);

}  // namespace harness
