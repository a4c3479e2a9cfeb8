// tokenizer_utf8.h: the few UTF-8 facts the tokenizer needs: the length of a character from its first
// byte, decoding one code point, encoding one, checking a whole string, and Unicode White_Space.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace harness {

// Bytes in the UTF-8 character that starts with `lead` (1 for a stray continuation or invalid byte).
size_t utf8_char_length(unsigned char lead);
// Code point of the character at text[pos] (text must be valid UTF-8); *length receives its byte count.
char32_t utf8_decode_at(std::string_view text, size_t pos, size_t* length);
void utf8_append(std::string& out, char32_t code_point);
// Byte offset of the first invalid UTF-8 sequence, or std::string_view::npos if the text is valid.
size_t utf8_first_invalid(std::string_view text);
// The Unicode White_Space property (Rust's char::is_whitespace, which Hugging Face tokenizers use).
bool is_unicode_whitespace(char32_t code_point);

}  // namespace harness
