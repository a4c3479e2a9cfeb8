// tokenizer_decoder.h: the "decoder" section of tokenizer.json, which turns token texts back into text.
// Supported: Sequence, ByteLevel, Replace, ByteFallback, Fuse, Strip, Metaspace.
// Unlike Hugging Face, which replaces invalid UTF-8 by U+FFFD, the bytes are returned exactly, so ids
// that cut a character in two decode to the bytes they stand for.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace harness {

class token_decoder {
 public:
  virtual ~token_decoder() = default;
  // Rewrites the list of token texts (Hugging Face's decode_chain); the result is concatenated.
  virtual void apply(std::vector<std::string>& tokens) const = 0;
};

// nullptr for a null section. `where` names the file and section for errors.
std::unique_ptr<token_decoder> read_decoder(const nlohmann::json& spec, const std::string& where);

// The byte-level decoder (GPT-2 style vocab.json + merges.txt tokenizers).
std::unique_ptr<token_decoder> make_byte_level_decoder();

}  // namespace harness
