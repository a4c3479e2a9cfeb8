// tokenizer_json.h: reading the fields of tokenizer.json sections, with errors that name the file and
// the section ("tokenizer.json: pre_tokenizer.pretokenizers[0]: missing field 'pattern'").
#pragma once
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace harness {

// The "type" of a section; fails if it is missing or not a string.
std::string json_type(const nlohmann::json& spec, const std::string& where);
// The field, failing if it is absent or null.
const nlohmann::json& json_field(const nlohmann::json& spec, const char* name, std::string_view where);
std::string json_string(const nlohmann::json& spec, const char* name, const std::string& where);
// The field if present and not null, else `fallback`; fails if it has another type.
std::string json_string_or(const nlohmann::json& spec, const char* name, const std::string& fallback,
                           const std::string& where);
bool json_bool_or(const nlohmann::json& spec, const char* name, bool fallback, const std::string& where);
int64_t json_int_or(const nlohmann::json& spec, const char* name, int64_t fallback, const std::string& where);

}  // namespace harness
