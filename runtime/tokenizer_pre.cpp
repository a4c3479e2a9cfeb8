#include "runtime/tokenizer_pre.h"

#include <algorithm>

#include <fmt/format.h>

#include "runtime/error.h"
#include "runtime/tokenizer_byte_map.h"
#include "runtime/tokenizer_json.h"
#include "runtime/tokenizer_pattern.h"

namespace harness {

const char* const gpt2_split_pattern = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

namespace {

using span_list = std::vector<std::pair<size_t, size_t>>;

enum class split_behavior { removed, isolated, merged_with_previous, merged_with_next, contiguous };

split_behavior parse_behavior(const std::string& name, const std::string& where) {
  if (name == "Removed") return split_behavior::removed;
  if (name == "Isolated") return split_behavior::isolated;
  if (name == "MergedWithPrevious") return split_behavior::merged_with_previous;
  if (name == "MergedWithNext") return split_behavior::merged_with_next;
  if (name == "Contiguous") return split_behavior::contiguous;
  fail("{}: unknown split behavior '{}'", where, name);
}

struct segment {
  size_t begin, end;
  bool flag;  // is a match (then, after applying the behaviour: should be removed)
};

// Hugging Face's NormalizedString::split: the matches and the gaps between them, combined as the
// behaviour says, empty results dropped.
std::vector<segment> split_segments(size_t length, const span_list& matches, split_behavior behavior, bool invert) {
  std::vector<segment> all;
  size_t prev = 0;
  for (const auto& [b, e] : matches) {
    if (prev != b) all.push_back({prev, b, invert});
    all.push_back({b, e, !invert});
    prev = e;
  }
  if (prev != length) all.push_back({prev, length, invert});

  std::vector<segment> out;
  bool previous_match = false;
  switch (behavior) {
    case split_behavior::isolated:
      for (auto s : all) out.push_back({s.begin, s.end, false});
      break;
    case split_behavior::removed:
      out = all;
      break;
    case split_behavior::contiguous:
      for (auto s : all) {
        if (s.flag == previous_match && !out.empty()) out.back().end = s.end;
        else out.push_back({s.begin, s.end, false});
        previous_match = s.flag;
      }
      break;
    case split_behavior::merged_with_previous:
      for (auto s : all) {
        if (s.flag && !previous_match && !out.empty()) out.back().end = s.end;
        else out.push_back({s.begin, s.end, false});
        previous_match = s.flag;
      }
      break;
    case split_behavior::merged_with_next:
      for (auto it = all.rbegin(); it != all.rend(); ++it) {
        if (it->flag && !previous_match && !out.empty()) out.back().begin = it->begin;
        else out.push_back({it->begin, it->end, false});
        previous_match = it->flag;
      }
      std::reverse(out.begin(), out.end());
      break;
  }
  return out;
}

void split_pieces(std::vector<pre_token>& pieces, const tokenizer_pattern& pattern, split_behavior behavior,
                  bool invert) {
  std::vector<pre_token> out;
  out.reserve(pieces.size());
  span_list matches;
  for (pre_token& piece : pieces) {
    matches.clear();
    pattern.find_all(piece.text, matches);
    if (matches.empty() && !invert) {  // nothing to cut: every behaviour keeps the piece whole
      if (!piece.text.empty()) out.push_back(std::move(piece));
      continue;
    }
    for (const segment& s : split_segments(piece.text.size(), matches, behavior, invert)) {
      if (s.flag || s.end == s.begin) continue;
      out.push_back({piece.text.substr(s.begin, s.end - s.begin), piece.at_text_start && s.begin == 0});
    }
  }
  pieces = std::move(out);
}

class sequence_pre_tokenizer : public pre_tokenizer {
 public:
  explicit sequence_pre_tokenizer(std::vector<std::unique_ptr<pre_tokenizer>> steps) : steps_(std::move(steps)) {}
  void apply(std::vector<pre_token>& pieces) const override {
    for (const auto& step : steps_) step->apply(pieces);
  }

 private:
  std::vector<std::unique_ptr<pre_tokenizer>> steps_;
};

class split_pre_tokenizer : public pre_tokenizer {
 public:
  split_pre_tokenizer(const nlohmann::json& pattern, split_behavior behavior, bool invert, const std::string& where)
      : pattern_(pattern, where), behavior_(behavior), invert_(invert) {}
  void apply(std::vector<pre_token>& pieces) const override { split_pieces(pieces, pattern_, behavior_, invert_); }

 private:
  tokenizer_pattern pattern_;
  split_behavior behavior_;
  bool invert_;
};

// Optionally a prefix space, optionally GPT-2's split, then every byte mapped to its printable character.
class byte_level_pre_tokenizer : public pre_tokenizer {
 public:
  byte_level_pre_tokenizer(bool add_prefix_space, bool use_regex)
      : add_prefix_space_(add_prefix_space),
        gpt2_(use_regex ? std::make_unique<tokenizer_pattern>(nlohmann::json{{"Regex", gpt2_split_pattern}},
                                                              "ByteLevel pre-tokenizer")
                        : nullptr) {}
  void apply(std::vector<pre_token>& pieces) const override {
    if (add_prefix_space_)
      for (pre_token& p : pieces)
        if (p.text.empty() || p.text[0] != ' ') p.text.insert(0, 1, ' ');
    if (gpt2_) split_pieces(pieces, *gpt2_, split_behavior::isolated, false);
    std::string mapped;
    for (pre_token& p : pieces) {
      mapped.clear();
      bytes_to_unicode_text(p.text, mapped);
      p.text.swap(mapped);
    }
  }

 private:
  bool add_prefix_space_;
  std::unique_ptr<tokenizer_pattern> gpt2_;
};

// SentencePiece style: spaces become the replacement character ("▁"), which is prepended as configured;
// then the text is cut before each replacement character.
class metaspace_pre_tokenizer : public pre_tokenizer {
 public:
  enum class prepend { always, first, never };
  metaspace_pre_tokenizer(std::string replacement, prepend scheme, bool split)
      : replacement_(std::move(replacement)),
        scheme_(scheme),
        split_(split),
        delimiter_(nlohmann::json{{"String", replacement_}}, "Metaspace pre-tokenizer"),
        space_(nlohmann::json{{"String", " "}}, "Metaspace pre-tokenizer") {}
  void apply(std::vector<pre_token>& pieces) const override {
    for (pre_token& p : pieces) {
      p.text = space_.replace_all(p.text, replacement_);
      bool starts = p.text.compare(0, replacement_.size(), replacement_) == 0;
      if (!starts && (scheme_ == prepend::always || (scheme_ == prepend::first && p.at_text_start)))
        p.text.insert(0, replacement_);
    }
    if (split_) split_pieces(pieces, delimiter_, split_behavior::merged_with_next, false);
  }

 private:
  std::string replacement_;
  prepend scheme_;
  bool split_;
  tokenizer_pattern delimiter_, space_;
};

}  // namespace

std::unique_ptr<pre_tokenizer> make_gpt2_pre_tokenizer() {
  return std::make_unique<byte_level_pre_tokenizer>(false, true);
}

std::unique_ptr<pre_tokenizer> read_pre_tokenizer(const nlohmann::json& spec, const std::string& where) {
  if (spec.is_null()) return nullptr;
  std::string type = json_type(spec, where);
  if (type == "Sequence") {
    const nlohmann::json& list = json_field(spec, "pretokenizers", where);
    if (!list.is_array()) fail("{}: field 'pretokenizers' must be a list", where);
    std::vector<std::unique_ptr<pre_tokenizer>> steps;
    for (size_t i = 0; i < list.size(); ++i)
      if (auto step = read_pre_tokenizer(list[i], fmt::format("{}.pretokenizers[{}]", where, i)))
        steps.push_back(std::move(step));
    return std::make_unique<sequence_pre_tokenizer>(std::move(steps));
  }
  if (type == "Split")
    return std::make_unique<split_pre_tokenizer>(json_field(spec, "pattern", where),
                                                 parse_behavior(json_string(spec, "behavior", where), where),
                                                 json_bool_or(spec, "invert", false, where), where + ".pattern");
  if (type == "ByteLevel")
    return std::make_unique<byte_level_pre_tokenizer>(json_bool_or(spec, "add_prefix_space", true, where),
                                                      json_bool_or(spec, "use_regex", true, where));
  if (type == "Metaspace") {
    std::string replacement = json_string_or(spec, "replacement", "\xE2\x96\x81", where);
    auto scheme = json_bool_or(spec, "add_prefix_space", true, where) ? metaspace_pre_tokenizer::prepend::always
                                                                      : metaspace_pre_tokenizer::prepend::never;
    std::string name = json_string_or(spec, "prepend_scheme", "", where);
    if (name == "always") scheme = metaspace_pre_tokenizer::prepend::always;
    else if (name == "first") scheme = metaspace_pre_tokenizer::prepend::first;
    else if (name == "never") scheme = metaspace_pre_tokenizer::prepend::never;
    else if (!name.empty()) fail("{}: unknown prepend_scheme '{}'", where, name);
    return std::make_unique<metaspace_pre_tokenizer>(replacement, scheme, json_bool_or(spec, "split", true, where));
  }
  fail("{}: pre_tokenizer type '{}' is not supported (supported: Sequence, Split, ByteLevel, Metaspace)", where, type);
}

}  // namespace harness
