#include "runtime/tokenizer_json.h"

#include "runtime/error.h"

namespace harness {

namespace {
const nlohmann::json* find_field(const nlohmann::json& spec, const char* name) {
  if (!spec.is_object()) return nullptr;
  auto it = spec.find(name);
  return (it == spec.end() || it->is_null()) ? nullptr : &*it;
}
}  // namespace

std::string json_type(const nlohmann::json& spec, const std::string& where) {
  if (!spec.is_object()) fail("{}: expected an object, got {}", where, spec.dump());
  return json_string(spec, "type", where);
}

const nlohmann::json& json_field(const nlohmann::json& spec, const char* name, std::string_view where) {
  const nlohmann::json* v = find_field(spec, name);
  if (!v) fail("{}: missing field '{}'", where, name);
  return *v;
}

std::string json_string(const nlohmann::json& spec, const char* name, const std::string& where) {
  const nlohmann::json& v = json_field(spec, name, where);
  if (!v.is_string()) fail("{}: field '{}' must be a string, got {}", where, name, v.dump());
  return v.get<std::string>();
}

std::string json_string_or(const nlohmann::json& spec, const char* name, const std::string& fallback,
                           const std::string& where) {
  const nlohmann::json* v = find_field(spec, name);
  if (!v) return fallback;
  if (!v->is_string()) fail("{}: field '{}' must be a string, got {}", where, name, v->dump());
  return v->get<std::string>();
}

bool json_bool_or(const nlohmann::json& spec, const char* name, bool fallback, const std::string& where) {
  const nlohmann::json* v = find_field(spec, name);
  if (!v) return fallback;
  if (!v->is_boolean()) fail("{}: field '{}' must be true or false, got {}", where, name, v->dump());
  return v->get<bool>();
}

int64_t json_int_or(const nlohmann::json& spec, const char* name, int64_t fallback, const std::string& where) {
  const nlohmann::json* v = find_field(spec, name);
  if (!v) return fallback;
  if (!v->is_number_integer()) fail("{}: field '{}' must be an integer, got {}", where, name, v->dump());
  return v->get<int64_t>();
}

}  // namespace harness
