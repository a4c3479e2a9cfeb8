#include "runtime/tokenizer_regex.h"

#include <memory>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "runtime/error.h"
#include "runtime/tokenizer_utf8.h"

namespace harness {

namespace {

std::string pcre2_message(int code) {
  PCRE2_UCHAR buffer[256];
  pcre2_get_error_message(code, buffer, sizeof buffer);
  return reinterpret_cast<const char*>(buffer);
}

// One JIT stack and match context per thread (PCRE2's recommended arrangement for threaded matching).
struct jit_resources {
  pcre2_jit_stack* stack = nullptr;
  pcre2_match_context* context = nullptr;
  jit_resources() {
    stack = pcre2_jit_stack_create(32 * 1024, 4 * 1024 * 1024, nullptr);
    context = pcre2_match_context_create(nullptr);
    if (stack && context) pcre2_jit_stack_assign(context, nullptr, stack);
  }
  ~jit_resources() {
    pcre2_match_context_free(context);
    pcre2_jit_stack_free(stack);
  }
};

pcre2_match_context* thread_match_context() {
  thread_local jit_resources resources;
  return resources.context;
}

struct match_data_deleter {
  void operator()(pcre2_match_data* m) const { pcre2_match_data_free(m); }
};

}  // namespace

std::string oniguruma_compatible_pattern(std::string_view p) {
  std::string out;
  out.reserve(p.size() + 16);
  bool in_class = false;
  size_t i = 0;
  while (i < p.size()) {
    char c = p[i];
    if (c == '\\' && i + 1 < p.size()) {
      char d = p[i + 1];
      if (d == 's') {
        out += in_class ? "\\s\\x{85}" : "[\\s\\x{85}]";
      } else if (d == 'S' && !in_class) {
        out += "[^\\s\\x{85}]";
      } else {
        out += c;
        out += d;
      }
      i += 2;
      continue;
    }
    if (!in_class && c == '[') {
      in_class = true;
      out += c;
      ++i;
      if (i < p.size() && p[i] == '^') out += p[i++];
      if (i < p.size() && p[i] == ']') out += p[i++];  // a leading ']' is a literal
      continue;
    }
    if (in_class && c == '[' && i + 1 < p.size() && p[i + 1] == ':') {  // POSIX class [:name:]
      size_t close = p.find(":]", i + 2);
      if (close != std::string_view::npos) {
        out.append(p.substr(i, close + 2 - i));
        i = close + 2;
        continue;
      }
    }
    if (in_class && c == ']') in_class = false;
    out += c;
    ++i;
  }
  return out;
}

tokenizer_regex::tokenizer_regex(const std::string& pattern, const std::string& where) : where_(where) {
  std::string compatible = oniguruma_compatible_pattern(pattern);
  int error = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(compatible.data()), compatible.size(),
                                   PCRE2_UTF | PCRE2_UCP, &error, &offset, nullptr);
  if (!code) fail("{}: invalid regex /{}/ at offset {}: {}", where, pattern, offset, pcre2_message(error));
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // falls back to the interpreter if JIT is unavailable
  code_ = code;
}

tokenizer_regex::~tokenizer_regex() { pcre2_code_free(static_cast<pcre2_code*>(code_)); }

void tokenizer_regex::find_all(std::string_view text, std::vector<std::pair<size_t, size_t>>& out) const {
  auto* code = static_cast<pcre2_code*>(code_);
  std::unique_ptr<pcre2_match_data, match_data_deleter> match(pcre2_match_data_create_from_pattern(code, nullptr));
  if (!match) fail("{}: out of memory for regex match data", where_);
  pcre2_match_context* context = thread_match_context();
  auto subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t pos = 0;
  while (pos <= text.size()) {
    // The caller guarantees valid UTF-8; without NO_UTF_CHECK PCRE2 would re-check the whole subject on
    // every call, which is quadratic in the text length.
    int rc = pcre2_match(code, subject, text.size(), pos, PCRE2_NO_UTF_CHECK, match.get(), context);
    if (rc == PCRE2_ERROR_NOMATCH) return;
    if (rc < 0) fail("{}: regex match failed at byte {}: {}", where_, pos, pcre2_message(rc));
    PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(match.get());
    size_t begin = ovector[0], end = ovector[1];
    if (end > begin) {
      out.emplace_back(begin, end);
      pos = end;
    } else {
      if (begin >= text.size()) return;
      pos = begin + utf8_char_length(static_cast<unsigned char>(text[begin]));
    }
  }
}

}  // namespace harness
