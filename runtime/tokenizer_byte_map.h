// tokenizer_byte_map.h: GPT-2's byte-to-unicode map (openai/gpt-2 encoder.py bytes_to_unicode), which
// byte-level BPE uses so that every byte is a printable character: bytes 0x21-0x7E, 0xA1-0xAC and
// 0xAE-0xFF map to the code point of the same value; the other 68 bytes, in increasing order, map to
// U+0100 + n (so space is U+0120 'Ġ' and newline U+010A 'Ċ').
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace harness {

// The UTF-8 text of the character standing for `byte`.
const std::string& byte_to_unicode(uint8_t byte);
// Appends the mapped characters of every byte of `bytes` to `out`.
void bytes_to_unicode_text(std::string_view bytes, std::string& out);
// The byte a character stands for, or -1 if the code point is not in the map.
int unicode_to_byte(char32_t code_point);

}  // namespace harness
