#include "artifact/json_schema.h"

#include <cmath>
#include <regex>
#include <set>

#include <fmt/format.h>

#include "runtime/error.h"
#include "runtime/json_file.h"

namespace harness {

namespace {

const std::set<std::string> annotations = {"$schema", "$id", "title", "description", "$comment", "$defs"};
const std::set<std::string> supported = {"type",  "const", "enum",    "properties", "required", "additionalProperties",
                                         "minProperties", "items", "minItems", "maxItems", "minLength", "pattern",
                                         "minimum", "if", "then", "else", "$ref"};

bool has_type(const nlohmann::json& doc, const std::string& type) {
  if (type == "object") return doc.is_object();
  if (type == "array") return doc.is_array();
  if (type == "string") return doc.is_string();
  if (type == "boolean") return doc.is_boolean();
  if (type == "null") return doc.is_null();
  if (type == "number") return doc.is_number();
  if (type == "integer")
    return doc.is_number_integer() || (doc.is_number_float() && std::floor(doc.get<double>()) == doc.get<double>());
  return false;
}

std::string pointer_of(const std::string& base, const std::string& key) {
  std::string escaped;
  for (char c : key) escaped += c == '~' ? std::string("~0") : c == '/' ? std::string("~1") : std::string(1, c);
  return base + "/" + escaped;
}

}  // namespace

json_schema::json_schema(nlohmann::json schema, std::string origin) : schema_(std::move(schema)), origin_(std::move(origin)) {
  check_keywords(schema_, "");
}

void json_schema::check_keywords(const nlohmann::json& schema, const std::string& where) const {
  if (schema.is_boolean()) return;
  if (!schema.is_object()) fail("{}: schema at '{}' is not an object", origin_, where);
  for (const auto& [key, value] : schema.items()) {
    if (annotations.count(key)) {
      if (key == "$defs")
        for (const auto& [name, def] : value.items()) check_keywords(def, where + "/$defs/" + name);
      continue;
    }
    if (!supported.count(key)) fail("{}: schema keyword '{}' at '{}' is not supported by this validator", origin_, key, where);
    if (key == "properties")
      for (const auto& [name, sub] : value.items()) check_keywords(sub, where + "/properties/" + name);
    if (key == "additionalProperties" || key == "items" || key == "if" || key == "then" || key == "else")
      check_keywords(value, where + "/" + key);
    if (key == "$ref") resolve(value.get<std::string>());
  }
}

const nlohmann::json& json_schema::resolve(const std::string& ref) const {
  const std::string prefix = "#/$defs/";
  if (ref.rfind(prefix, 0) != 0 || !schema_.contains("$defs") || !schema_["$defs"].contains(ref.substr(prefix.size())))
    fail("{}: $ref '{}' is not a definition in this schema's $defs", origin_, ref);
  return schema_["$defs"][ref.substr(prefix.size())];
}

std::vector<std::string> json_schema::violations(const nlohmann::json& doc) const {
  std::vector<std::string> out;
  validate(schema_, doc, "", out);
  return out;
}

void json_schema::validate(const nlohmann::json& schema, const nlohmann::json& doc, const std::string& pointer,
                           std::vector<std::string>& out) const {
  if (schema.is_boolean()) {
    if (!schema.get<bool>()) out.push_back(fmt::format("{}: not allowed here", pointer));
    return;
  }
  auto add = [&](const std::string& what) { out.push_back(fmt::format("{}: {}", pointer.empty() ? "/" : pointer, what)); };
  if (schema.contains("$ref")) validate(resolve(schema["$ref"]), doc, pointer, out);
  if (schema.contains("type")) {
    const auto& t = schema["type"];
    bool ok = false;
    if (t.is_string()) ok = has_type(doc, t);
    for (const auto& one : t.is_array() ? t : nlohmann::json::array()) ok = ok || has_type(doc, one);
    if (!ok) return add(fmt::format("expected type {}, found {}", t.dump(), doc.type_name()));
  }
  if (schema.contains("const") && doc != schema["const"]) add(fmt::format("must equal {}", schema["const"].dump()));
  if (schema.contains("enum")) {
    bool found = false;
    for (const auto& v : schema["enum"]) found = found || v == doc;
    if (!found) add(fmt::format("must be one of {}", schema["enum"].dump()));
  }
  if (doc.is_object()) {
    for (const auto& name : schema.value("required", nlohmann::json::array()))
      if (!doc.contains(name.get<std::string>())) add(fmt::format("missing required field '{}'", name.get<std::string>()));
    if (schema.contains("minProperties") && doc.size() < schema["minProperties"].get<size_t>())
      add(fmt::format("needs at least {} fields", schema["minProperties"].get<size_t>()));
    const auto& properties = schema.value("properties", nlohmann::json::object());
    for (const auto& [key, value] : doc.items()) {
      if (properties.contains(key)) {
        validate(properties[key], value, pointer_of(pointer, key), out);
      } else if (schema.contains("additionalProperties")) {
        validate(schema["additionalProperties"], value, pointer_of(pointer, key), out);
      }
    }
  }
  if (doc.is_array()) {
    if (schema.contains("minItems") && doc.size() < schema["minItems"].get<size_t>())
      add(fmt::format("needs at least {} items", schema["minItems"].get<size_t>()));
    if (schema.contains("maxItems") && doc.size() > schema["maxItems"].get<size_t>())
      add(fmt::format("allows at most {} items", schema["maxItems"].get<size_t>()));
    if (schema.contains("items"))
      for (size_t i = 0; i < doc.size(); ++i) validate(schema["items"], doc[i], pointer_of(pointer, std::to_string(i)), out);
  }
  if (doc.is_string()) {
    const std::string& s = doc.get_ref<const std::string&>();
    if (schema.contains("minLength") && s.size() < schema["minLength"].get<size_t>())
      add(fmt::format("shorter than {} characters", schema["minLength"].get<size_t>()));
    if (schema.contains("pattern") && !std::regex_search(s, std::regex(schema["pattern"].get<std::string>())))
      add(fmt::format("'{}' does not match {}", s, schema["pattern"].get<std::string>()));
  }
  if (doc.is_number() && schema.contains("minimum") && doc.get<double>() < schema["minimum"].get<double>())
    add(fmt::format("below the minimum {}", schema["minimum"].dump()));
  if (schema.contains("if")) {
    std::vector<std::string> ignored;
    validate(schema["if"], doc, pointer, ignored);
    const char* branch = ignored.empty() ? "then" : "else";
    if (schema.contains(branch)) validate(schema[branch], doc, pointer, out);
  }
}

json_schema read_json_schema(const std::string& path) { return json_schema(read_json_file(path), path); }

}  // namespace harness
