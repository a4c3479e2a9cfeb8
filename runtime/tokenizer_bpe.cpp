#include "runtime/tokenizer_bpe.h"

#include <algorithm>

#include <fmt/format.h>

#include "runtime/error.h"
#include "runtime/tokenizer_utf8.h"

namespace harness {

namespace {

constexpr size_t cache_max_entries = 200000;
constexpr size_t cache_max_word_bytes = 256;

uint64_t pair_key(int32_t left, int32_t right) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
}

struct symbol {
  int32_t id;
  int32_t prev;  // index of the previous live symbol, -1 at the start
  int32_t next;  // index of the next live symbol, -1 at the end
  bool live;
};

struct candidate {
  uint32_t rank;
  int32_t pos;  // index of the left symbol
  int32_t new_id;
  // The heap (std::push_heap) keeps the largest on top: make the lowest rank, then the leftmost position, largest.
  bool operator<(const candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
};

}  // namespace

bpe_model::bpe_model(tokenizer_vocab vocab, const std::vector<std::pair<std::string, std::string>>& merges,
                     bpe_options options, std::string file)
    : vocab_(std::move(vocab)), options_(std::move(options)), file_(std::move(file)) {
  int32_t limit = 0;
  for (const auto& [token, id] : vocab_) {
    if (id < 0) fail("{}: vocabulary id {} of token '{}' is negative", file_, id, token);
    limit = std::max(limit, id + 1);
  }
  id_to_token_.resize(limit);
  has_id_.assign(limit, false);
  for (const auto& [token, id] : vocab_) {
    id_to_token_[id] = token;
    has_id_[id] = true;
  }
  if (options_.unk_token) {
    auto it = vocab_.find(*options_.unk_token);
    if (it == vocab_.end()) fail("{}: unk_token '{}' is not in the vocabulary", file_, *options_.unk_token);
    unk_id_ = it->second;
  }
  size_t prefix_len = options_.continuing_subword_prefix.size();
  merges_.reserve(merges.size());
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const auto& [left, right] = merges[rank];
    auto l = vocab_.find(left), r = vocab_.find(right);
    if (l == vocab_.end()) fail("{}: merge {} ('{} {}'): '{}' is not in the vocabulary", file_, rank, left, right, left);
    if (r == vocab_.end()) fail("{}: merge {} ('{} {}'): '{}' is not in the vocabulary", file_, rank, left, right, right);
    std::string merged = left + right.substr(std::min(prefix_len, right.size()));
    auto m = vocab_.find(merged);
    if (m == vocab_.end()) fail("{}: merge {} ('{} {}'): '{}' is not in the vocabulary", file_, rank, left, right, merged);
    // Like Hugging Face (a map collected in order), a repeated pair keeps its last rank.
    merges_.insert_or_assign(pair_key(l->second, r->second), merge_info{static_cast<uint32_t>(rank), m->second});
  }
}

std::optional<int32_t> bpe_model::token_to_id(std::string_view token) const {
  auto it = vocab_.find(token);
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

const std::string* bpe_model::id_to_token(int32_t id) const {
  if (id < 0 || id >= id_limit() || !has_id_[id]) return nullptr;
  return &id_to_token_[id];
}

const bpe_model::merge_info* bpe_model::find_merge(int32_t left, int32_t right) const {
  auto it = merges_.find(pair_key(left, right));
  return it == merges_.end() ? nullptr : &it->second;
}

void bpe_model::encode_word(std::string_view word, std::vector<int32_t>& out) const {
  if (word.empty()) return;
  if (options_.ignore_merges) {
    auto it = vocab_.find(word);
    if (it != vocab_.end()) {
      out.push_back(it->second);
      return;
    }
  }
  bool cacheable = word.size() <= cache_max_word_bytes;
  if (cacheable) {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    auto it = cache_.find(word);
    if (it != cache_.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  std::vector<int32_t> ids;
  merge_word(word, ids);
  out.insert(out.end(), ids.begin(), ids.end());
  if (cacheable) {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    if (cache_.size() < cache_max_entries) cache_.emplace(std::string(word), std::move(ids));
  }
}

void bpe_model::merge_word(std::string_view word, std::vector<int32_t>& ids) const {
  thread_local std::vector<symbol> symbols;
  symbols.clear();
  auto add = [&](int32_t id) {
    int32_t index = static_cast<int32_t>(symbols.size());
    symbols.push_back({id, index - 1, -1, true});
    if (index > 0) symbols[index - 1].next = index;
  };

  // 1. One symbol per character (with the subword prefix / word suffix where configured); characters
  //    outside the vocabulary become byte tokens or the unk token.
  int32_t pending_unk = -1;  // an unk symbol not yet added (held back so runs can fuse)
  std::string piece;
  size_t pos = 0;
  while (pos < word.size()) {
    size_t len = 0;
    char32_t cp = utf8_decode_at(word, pos, &len);
    bool first = pos == 0, last = pos + len == word.size();
    piece.clear();
    if (!first) piece += options_.continuing_subword_prefix;
    piece.append(word.substr(pos, len));
    if (last) piece += options_.end_of_word_suffix;
    pos += len;

    if (auto it = vocab_.find(piece); it != vocab_.end()) {
      if (pending_unk >= 0) add(pending_unk), pending_unk = -1;
      add(it->second);
      continue;
    }
    if (options_.byte_fallback) {
      std::vector<int32_t> bytes;
      for (char c : piece) {
        auto it = vocab_.find(fmt::format("<0x{:02X}>", static_cast<unsigned char>(c)));
        if (it == vocab_.end()) break;
        bytes.push_back(it->second);
      }
      if (bytes.size() == piece.size()) {
        if (pending_unk >= 0) add(pending_unk), pending_unk = -1;
        for (int32_t id : bytes) add(id);
        continue;
      }
    }
    if (!unk_id_)
      fail("{}: character U+{:04X} is not in the vocabulary, and the model has no unk_token or byte fallback for it",
           file_, static_cast<uint32_t>(cp));
    if (pending_unk >= 0 && !options_.fuse_unk) add(pending_unk);
    pending_unk = *unk_id_;
  }
  if (pending_unk >= 0) add(pending_unk);

  // 2. Merge the lowest-ranked adjacent pair (leftmost first) until none is left. Heap entries go stale
  //    when a neighbour merges; they are recognised and dropped when popped.
  thread_local std::vector<candidate> heap;
  heap.clear();
  auto push_pair = [&](int32_t left) {
    if (left < 0 || symbols[left].next < 0) return;
    if (const merge_info* m = find_merge(symbols[left].id, symbols[symbols[left].next].id)) {
      heap.push_back({m->rank, left, m->new_id});
      std::push_heap(heap.begin(), heap.end());
    }
  };
  for (int32_t i = 0; i + 1 < static_cast<int32_t>(symbols.size()); ++i)
    if (const merge_info* m = find_merge(symbols[i].id, symbols[i + 1].id)) heap.push_back({m->rank, i, m->new_id});
  std::make_heap(heap.begin(), heap.end());  // O(n) for the initial pairs of a long word
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end());
    candidate top = heap.back();
    heap.pop_back();
    symbol& left = symbols[top.pos];
    if (!left.live || left.next < 0) continue;
    const merge_info* m = find_merge(left.id, symbols[left.next].id);
    if (!m || m->new_id != top.new_id) continue;
    symbol& right = symbols[left.next];
    left.id = top.new_id;
    right.live = false;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = top.pos;
    push_pair(left.prev);
    push_pair(top.pos);
  }
  for (int32_t i = 0; i >= 0 && i < static_cast<int32_t>(symbols.size()); i = symbols[i].next) ids.push_back(symbols[i].id);
  // A very long word (a text with no pre-tokenizer) should not pin its buffers to the thread.
  constexpr size_t keep = size_t{1} << 16;
  if (symbols.capacity() > keep) std::vector<symbol>().swap(symbols);
  if (heap.capacity() > keep) std::vector<candidate>().swap(heap);
}

}  // namespace harness
