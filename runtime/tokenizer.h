// tokenizer.h: text <-> token ids for the models the harness runs, following Hugging Face tokenizers.
// Reads a tokenizer.json with a BPE model (Llama-3 byte-level BPE, Llama-2/SentencePiece-style BPE with
// byte fallback, ...) or a GPT-2/OPT-style vocab.json + merges.txt. The pipeline is Hugging Face's:
// added tokens are matched first, then each run of text between them is normalised, pre-tokenised and
// encoded by the BPE model; decoding maps ids to token texts and runs the decoder.
//
// BOS/EOS come from the files beside the tokenizer (see tokenizer_specials.h): OPT prepends </s>
// (id 2), Llama-3 <|begin_of_text|>, tinystories-656k <|start_story|> (id 1). encode() never appends EOS.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "runtime/tokenizer_added.h"

namespace harness {

class bpe_model;
class text_normalizer;
class pre_tokenizer;
class token_decoder;

// What a loader assembles; see tokenizer_load.cpp.
struct tokenizer_parts {
  std::string source;               // the path the tokenizer was loaded from (for messages)
  std::vector<std::string> files;   // every file read, for hashing into results
  std::unique_ptr<bpe_model> model;
  std::vector<added_token> added_tokens;
  std::unique_ptr<text_normalizer> normalizer;  // may be null
  std::unique_ptr<pre_tokenizer> pre;           // may be null
  std::unique_ptr<token_decoder> decoder;       // null: token texts joined with spaces (as Hugging Face)
  std::optional<int32_t> bos_id;
  std::optional<int32_t> eos_id;
  bool add_bos_by_default = false;
};

class tokenizer {
 public:
  explicit tokenizer(tokenizer_parts parts);
  tokenizer(tokenizer&&) noexcept;
  tokenizer& operator=(tokenizer&&) noexcept;
  ~tokenizer();

  // Ids of `text` (valid UTF-8), with BOS first when the model's files say so.
  std::vector<int32_t> encode(std::string_view text) const;
  // Ids of `text`, with BOS first if `add_bos` (fails if the tokenizer knows no BOS token).
  std::vector<int32_t> encode(std::string_view text, bool add_bos) const;
  // The text of `ids`, byte for byte; special tokens are dropped if `skip_special`. As in Hugging Face
  // tokenizers 0.23, an added token marked "normalized" goes to the decoder in its normalised form
  // (tinystories: "▁<unk>"), so the decoder undoes the normalisation.
  // (Hugging Face then fails to skip such tokens, since it looks their normalised form up among the
  // special tokens; here `skip_special` drops every token marked special.)
  std::string decode(const std::vector<int32_t>& ids, bool skip_special = false) const;

  std::optional<int32_t> bos_id() const { return bos_id_; }
  std::optional<int32_t> eos_id() const { return eos_id_; }
  bool adds_bos_by_default() const { return add_bos_by_default_; }

  // Id of a token text (added tokens first, then the model's vocabulary).
  std::optional<int32_t> token_to_id(std::string_view token) const;
  // Token text of an id; fails naming the tokenizer if there is no such id.
  std::string id_to_token(int32_t id) const;
  // One more than the largest id.
  int32_t id_limit() const;
  const std::string& source() const { return source_; }
  const std::vector<std::string>& files() const { return files_; }

 private:
  void encode_plain(std::string_view text, bool at_text_start, std::vector<int32_t>& ids) const;
  const added_token* added_by_id(int32_t id) const;

  std::string source_;
  std::vector<std::string> files_;
  std::unique_ptr<bpe_model> model_;
  std::vector<added_token> added_;
  std::vector<std::string> added_decode_text_;        // per added token: the text given to the decoder
  std::unordered_map<int32_t, size_t> added_index_;  // id -> index into added_
  added_token_matcher raw_matcher_;                   // tokens with "normalized": false
  added_token_matcher normalized_matcher_;            // tokens with "normalized": true
  std::unique_ptr<text_normalizer> normalizer_;
  std::unique_ptr<pre_tokenizer> pre_;
  std::unique_ptr<token_decoder> decoder_;
  std::optional<int32_t> bos_id_, eos_id_;
  bool add_bos_by_default_ = false;
};

// Loads a tokenizer from a tokenizer.json file, or from a directory holding tokenizer.json or
// vocab.json + merges.txt (tokenizer_config.json, special_tokens_map.json and config.json beside it
// are read for BOS/EOS). Errors name the file and the problem.
tokenizer load_tokenizer(const std::string& path);

}  // namespace harness
