#include "runtime/tokenizer.h"

#include "runtime/error.h"
#include "runtime/tokenizer_bpe.h"
#include "runtime/tokenizer_decoder.h"
#include "runtime/tokenizer_normalizer.h"
#include "runtime/tokenizer_pre.h"
#include "runtime/tokenizer_utf8.h"

namespace harness {

tokenizer::tokenizer(tokenizer_parts parts)
    : source_(std::move(parts.source)),
      files_(std::move(parts.files)),
      model_(std::move(parts.model)),
      added_(std::move(parts.added_tokens)),
      normalizer_(std::move(parts.normalizer)),
      pre_(std::move(parts.pre)),
      decoder_(std::move(parts.decoder)),
      bos_id_(parts.bos_id),
      eos_id_(parts.eos_id),
      add_bos_by_default_(parts.add_bos_by_default) {
  if (!model_) fail("{}: tokenizer has no model", source_);
  // Hugging Face matches "normalized" added tokens by their normalised content in normalised text.
  std::vector<added_token> raw, normalized;
  std::vector<std::string> raw_patterns, normalized_patterns;
  for (size_t i = 0; i < added_.size(); ++i) {
    const added_token& t = added_[i];
    added_index_[t.id] = i;
    if (t.normalized) {
      std::string content = t.content;
      if (normalizer_) normalizer_->apply(content);
      normalized.push_back(t);
      normalized_patterns.push_back(content);
      added_decode_text_.push_back(content);
    } else {
      raw.push_back(t);
      raw_patterns.push_back(t.content);
      added_decode_text_.push_back(t.content);
    }
  }
  raw_matcher_ = added_token_matcher(raw, raw_patterns);
  normalized_matcher_ = added_token_matcher(normalized, normalized_patterns);
}

tokenizer::tokenizer(tokenizer&&) noexcept = default;
tokenizer& tokenizer::operator=(tokenizer&&) noexcept = default;
tokenizer::~tokenizer() = default;

std::vector<int32_t> tokenizer::encode(std::string_view text) const { return encode(text, add_bos_by_default_); }

std::vector<int32_t> tokenizer::encode(std::string_view text, bool add_bos) const {
  size_t bad = utf8_first_invalid(text);
  if (bad != std::string_view::npos) fail("{}: text to encode is not valid UTF-8 (at byte {})", source_, bad);
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 2);
  if (add_bos) {
    if (!bos_id_)
      fail("{}: a BOS token was asked for, but neither the tokenizer nor a tokenizer_config.json or config.json "
           "beside it names one",
           source_);
    ids.push_back(*bos_id_);
  }
  // 1. Added tokens matched in the raw text; 2. each run between them normalised, and "normalized"
  // added tokens matched in it; 3. the remaining runs pre-tokenised and encoded by the model.
  for (const text_segment& s : raw_matcher_.split(text)) {
    if (s.id >= 0) {
      ids.push_back(s.id);
      continue;
    }
    std::string_view run = text.substr(s.begin, s.end - s.begin);
    if (!normalizer_ && normalized_matcher_.empty()) {
      encode_plain(run, s.begin == 0, ids);
      continue;
    }
    std::string normalized(run);
    if (normalizer_) normalizer_->apply(normalized);
    for (const text_segment& n : normalized_matcher_.split(normalized)) {
      if (n.id >= 0) ids.push_back(n.id);
      else encode_plain(std::string_view(normalized).substr(n.begin, n.end - n.begin), s.begin == 0 && n.begin == 0, ids);
    }
  }
  return ids;
}

void tokenizer::encode_plain(std::string_view text, bool at_text_start, std::vector<int32_t>& ids) const {
  if (text.empty()) return;
  if (!pre_) {
    model_->encode_word(text, ids);
    return;
  }
  std::vector<pre_token> pieces;
  pieces.push_back({std::string(text), at_text_start});
  pre_->apply(pieces);
  for (const pre_token& p : pieces) model_->encode_word(p.text, ids);
}

const added_token* tokenizer::added_by_id(int32_t id) const {
  auto it = added_index_.find(id);
  return it == added_index_.end() ? nullptr : &added_[it->second];
}

std::string tokenizer::decode(const std::vector<int32_t>& ids, bool skip_special) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (int32_t id : ids) {
    if (const added_token* t = added_by_id(id)) {
      if (!(skip_special && t->special)) tokens.push_back(added_decode_text_[t - added_.data()]);
      continue;
    }
    const std::string* text = model_->id_to_token(id);
    if (!text) fail("{}: id {} is not in the vocabulary (ids run from 0 to {})", source_, id, id_limit() - 1);
    tokens.push_back(*text);
  }
  if (decoder_) decoder_->apply(tokens);
  std::string out;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (!decoder_ && i > 0) out += ' ';
    out += tokens[i];
  }
  return out;
}

std::optional<int32_t> tokenizer::token_to_id(std::string_view token) const {
  for (const added_token& t : added_)
    if (t.content == token) return t.id;
  return model_->token_to_id(token);
}

std::string tokenizer::id_to_token(int32_t id) const {
  if (const added_token* t = added_by_id(id)) return t->content;
  const std::string* text = model_->id_to_token(id);
  if (!text) fail("{}: id {} is not in the vocabulary (ids run from 0 to {})", source_, id, id_limit() - 1);
  return *text;
}

int32_t tokenizer::id_limit() const {
  int32_t limit = model_->id_limit();
  for (const added_token& t : added_) limit = std::max(limit, t.id + 1);
  return limit;
}

}  // namespace harness
