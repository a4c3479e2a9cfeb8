#include "runtime/tokenizer_byte_map.h"

#include <array>

#include "runtime/tokenizer_utf8.h"

namespace harness {

namespace {

struct byte_map {
  std::array<std::string, 256> text;      // byte -> UTF-8 of its character
  std::array<int16_t, 0x144> byte_of{};   // code point -> byte (all mapped code points are < 0x144)

  byte_map() {
    byte_of.fill(-1);
    int next = 0;
    for (int b = 0; b < 256; ++b) {
      bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      char32_t cp = printable ? static_cast<char32_t>(b) : static_cast<char32_t>(0x100 + next++);
      utf8_append(text[b], cp);
      byte_of[cp] = static_cast<int16_t>(b);
    }
  }
};

const byte_map& the_map() {
  static const byte_map map;
  return map;
}

}  // namespace

const std::string& byte_to_unicode(uint8_t byte) { return the_map().text[byte]; }

void bytes_to_unicode_text(std::string_view bytes, std::string& out) {
  const byte_map& map = the_map();
  for (char c : bytes) out += map.text[static_cast<uint8_t>(c)];
}

int unicode_to_byte(char32_t code_point) {
  if (code_point >= the_map().byte_of.size()) return -1;
  return the_map().byte_of[code_point];
}

}  // namespace harness
