// json_schema.h: a JSON Schema (draft 2020-12) validator for the keywords the harness's own schemas use
// (docs/result.schema.json): type, const, enum, properties, required, additionalProperties,
// minProperties, items, minItems, maxItems, minLength, pattern, minimum, if/then/else, and local $ref
// into $defs. A schema using any other keyword is refused by name rather than half-checked.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace harness {

class json_schema {
 public:
  // `origin` names the schema in errors (its file); throws when the schema uses an unsupported keyword.
  json_schema(nlohmann::json schema, std::string origin);

  // Every violation as "<JSON pointer>: what is wrong"; empty when `doc` is valid.
  std::vector<std::string> violations(const nlohmann::json& doc) const;

 private:
  void check_keywords(const nlohmann::json& schema, const std::string& where) const;
  void validate(const nlohmann::json& schema, const nlohmann::json& doc, const std::string& pointer,
                std::vector<std::string>& out) const;
  const nlohmann::json& resolve(const std::string& ref) const;

  nlohmann::json schema_;
  std::string origin_;
};

json_schema read_json_schema(const std::string& path);

}  // namespace harness
