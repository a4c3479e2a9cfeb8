#include "runtime/tokenizer_decoder.h"

#include <fmt/format.h>

#include "runtime/error.h"
#include "runtime/tokenizer_byte_map.h"
#include "runtime/tokenizer_json.h"
#include "runtime/tokenizer_pattern.h"
#include "runtime/tokenizer_utf8.h"

namespace harness {

namespace {

class sequence_decoder : public token_decoder {
 public:
  explicit sequence_decoder(std::vector<std::unique_ptr<token_decoder>> steps) : steps_(std::move(steps)) {}
  void apply(std::vector<std::string>& tokens) const override {
    for (const auto& step : steps_) step->apply(tokens);
  }

 private:
  std::vector<std::unique_ptr<token_decoder>> steps_;
};

// Maps every character back to its byte and joins all tokens; a token with a character outside the
// byte map (e.g. an added token) is taken as it is.
class byte_level_decoder : public token_decoder {
 public:
  void apply(std::vector<std::string>& tokens) const override {
    std::string out, bytes;
    for (const std::string& token : tokens) {
      bytes.clear();
      bool mapped = true;
      for (size_t pos = 0, len = 0; pos < token.size(); pos += len) {
        int b = unicode_to_byte(utf8_decode_at(token, pos, &len));
        if (b < 0) {
          mapped = false;
          break;
        }
        bytes += static_cast<char>(b);
      }
      out += mapped ? bytes : token;
    }
    tokens.assign(1, std::move(out));
  }
};

class replace_decoder : public token_decoder {
 public:
  replace_decoder(const nlohmann::json& pattern, std::string content, const std::string& where)
      : pattern_(pattern, where), content_(std::move(content)) {}
  void apply(std::vector<std::string>& tokens) const override {
    for (std::string& t : tokens) t = pattern_.replace_all(t, content_);
  }

 private:
  tokenizer_pattern pattern_;
  std::string content_;
};

// Runs of <0xXX> tokens become the bytes they name.
class byte_fallback_decoder : public token_decoder {
 public:
  void apply(std::vector<std::string>& tokens) const override {
    std::vector<std::string> out;
    std::string pending;
    bool have_pending = false;
    for (std::string& t : tokens) {
      int byte = parse_byte_token(t);
      if (byte >= 0) {
        pending += static_cast<char>(byte);
        have_pending = true;
        continue;
      }
      if (have_pending) out.push_back(std::move(pending)), pending.clear(), have_pending = false;
      out.push_back(std::move(t));
    }
    if (have_pending) out.push_back(std::move(pending));
    tokens = std::move(out);
  }

 private:
  static int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }
  static int parse_byte_token(const std::string& t) {
    if (t.size() != 6 || t.compare(0, 3, "<0x") != 0 || t[5] != '>') return -1;
    int hi = hex(t[3]), lo = hex(t[4]);
    return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
  }
};

class fuse_decoder : public token_decoder {
 public:
  void apply(std::vector<std::string>& tokens) const override {
    std::string joined;
    for (const std::string& t : tokens) joined += t;
    tokens.assign(1, std::move(joined));
  }
};

// Removes up to `start` leading and `stop` trailing occurrences of one character from each token.
class strip_decoder : public token_decoder {
 public:
  strip_decoder(std::string content, size_t start, size_t stop)
      : content_(std::move(content)), start_(start), stop_(stop) {}
  void apply(std::vector<std::string>& tokens) const override {
    for (std::string& t : tokens) {
      size_t begin = 0, end = t.size();
      for (size_t i = 0; i < start_ && begin + content_.size() <= end && t.compare(begin, content_.size(), content_) == 0;
           ++i)
        begin += content_.size();
      for (size_t i = 0; i < stop_ && end >= begin + content_.size() &&
                         t.compare(end - content_.size(), content_.size(), content_) == 0;
           ++i)
        end -= content_.size();
      t = t.substr(begin, end - begin);
    }
  }

 private:
  std::string content_;
  size_t start_, stop_;
};

// The replacement character becomes a space; in the first token it is dropped unless nothing was
// prepended at encoding (prepend_scheme "never").
class metaspace_decoder : public token_decoder {
 public:
  metaspace_decoder(std::string replacement, bool drop_in_first)
      : replacement_(nlohmann::json{{"String", replacement}}, "Metaspace decoder"), drop_in_first_(drop_in_first) {}
  void apply(std::vector<std::string>& tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i)
      tokens[i] = replacement_.replace_all(tokens[i], i == 0 && drop_in_first_ ? "" : " ");
  }

 private:
  tokenizer_pattern replacement_;
  bool drop_in_first_;
};

size_t non_negative(int64_t v, const char* name, const std::string& where) {
  if (v < 0) fail("{}: field '{}' must not be negative", where, name);
  return static_cast<size_t>(v);
}

}  // namespace

std::unique_ptr<token_decoder> make_byte_level_decoder() { return std::make_unique<byte_level_decoder>(); }

std::unique_ptr<token_decoder> read_decoder(const nlohmann::json& spec, const std::string& where) {
  if (spec.is_null()) return nullptr;
  std::string type = json_type(spec, where);
  if (type == "Sequence") {
    const nlohmann::json& list = json_field(spec, "decoders", where);
    if (!list.is_array()) fail("{}: field 'decoders' must be a list", where);
    std::vector<std::unique_ptr<token_decoder>> steps;
    for (size_t i = 0; i < list.size(); ++i)
      if (auto step = read_decoder(list[i], fmt::format("{}.decoders[{}]", where, i))) steps.push_back(std::move(step));
    return std::make_unique<sequence_decoder>(std::move(steps));
  }
  if (type == "ByteLevel") return std::make_unique<byte_level_decoder>();
  if (type == "Replace")
    return std::make_unique<replace_decoder>(json_field(spec, "pattern", where), json_string(spec, "content", where),
                                             where + ".pattern");
  if (type == "ByteFallback") return std::make_unique<byte_fallback_decoder>();
  if (type == "Fuse") return std::make_unique<fuse_decoder>();
  if (type == "Strip")
    return std::make_unique<strip_decoder>(json_string(spec, "content", where),
                                           non_negative(json_int_or(spec, "start", 0, where), "start", where),
                                           non_negative(json_int_or(spec, "stop", 0, where), "stop", where));
  if (type == "Metaspace") {
    bool prepends = json_bool_or(spec, "add_prefix_space", true, where);
    std::string scheme = json_string_or(spec, "prepend_scheme", "", where);
    if (!scheme.empty()) prepends = scheme != "never";
    return std::make_unique<metaspace_decoder>(json_string_or(spec, "replacement", "\xE2\x96\x81", where), prepends);
  }
  fail("{}: decoder type '{}' is not supported (supported: Sequence, ByteLevel, Replace, ByteFallback, Fuse, Strip, "
       "Metaspace)",
       where, type);
}

}  // namespace harness
