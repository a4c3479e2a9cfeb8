// tokenizer_bpe.h: the BPE model of Hugging Face tokenizers (tokenizers/src/models/bpe): a vocabulary,
// ranked merges, and the options ignore_merges, byte_fallback, unk_token/fuse_unk,
// continuing_subword_prefix and end_of_word_suffix. It turns one pre-token into ids.
// Merging uses a heap of candidate pairs keyed by rank (O(n log n) per word, no rescans), pair ranks
// come from a hash map, and the ids of words seen before come from a cache.
#pragma once
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace harness {

// Hash for maps keyed by std::string that are looked up with std::string_view.
struct tokenizer_string_hash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using tokenizer_vocab = std::unordered_map<std::string, int32_t, tokenizer_string_hash, std::equal_to<>>;

struct bpe_options {
  std::optional<std::string> unk_token;
  std::string continuing_subword_prefix;  // empty: none
  std::string end_of_word_suffix;         // empty: none
  bool fuse_unk = false;
  bool byte_fallback = false;   // characters not in the vocabulary become <0xXX> byte tokens
  bool ignore_merges = false;   // a pre-token that is itself in the vocabulary is one token, merges unused
};

class bpe_model {
 public:
  // merges[i] = (left, right) has rank i. `file` names the source for error messages.
  bpe_model(tokenizer_vocab vocab, const std::vector<std::pair<std::string, std::string>>& merges,
            bpe_options options, std::string file);

  // Appends the ids of one pre-token (already in the model's alphabet, e.g. byte-mapped).
  void encode_word(std::string_view word, std::vector<int32_t>& out) const;

  std::optional<int32_t> token_to_id(std::string_view token) const;
  // The token text of `id`, or nullptr if the vocabulary has no such id.
  const std::string* id_to_token(int32_t id) const;
  // One more than the largest id in the vocabulary.
  int32_t id_limit() const { return static_cast<int32_t>(id_to_token_.size()); }

 private:
  struct merge_info {
    uint32_t rank;
    int32_t new_id;
  };
  void merge_word(std::string_view word, std::vector<int32_t>& ids) const;
  const merge_info* find_merge(int32_t left, int32_t right) const;

  tokenizer_vocab vocab_;
  std::vector<std::string> id_to_token_;
  std::vector<bool> has_id_;
  std::unordered_map<uint64_t, merge_info> merges_;  // (left id << 32 | right id) -> rank, merged id
  bpe_options options_;
  std::optional<int32_t> unk_id_;
  std::string file_;

  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<int32_t>, tokenizer_string_hash, std::equal_to<>> cache_;
};

}  // namespace harness
