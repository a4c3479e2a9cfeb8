// result_fields.h: reading the metrics a rendering needs out of one stored result. A missing field is
// an error naming the result file, the field's path and the rendering that needed it.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "artifact/result_set.h"

namespace harness {

// A node inside one result document, with where it sits (for errors).
class result_field {
 public:
  // The root of `result`'s document, read on behalf of `user` (e.g. "table recall").
  result_field(const stored_result& result, const std::string& user);

  result_field operator[](const std::string& key) const;  // a member; missing: an error
  bool has(const std::string& key) const;
  std::vector<result_field> elements() const;             // an array's elements; not an array: an error
  std::vector<std::pair<std::string, result_field>> members() const;  // an object's members, in key order
  double number() const;
  std::string text() const;
  const nlohmann::json& json() const { return *node_; }
  // Fails with "FILE: 'PATH' what (needed by USER)".
  [[noreturn]] void reject(const std::string& what) const;

 private:
  result_field(const nlohmann::json* node, const std::string* file, std::string at, const std::string* user)
      : node_(node), file_(file), at_(std::move(at)), user_(user) {}

  const nlohmann::json* node_;
  const std::string* file_;
  std::string at_;  // dotted path from the root, e.g. metrics.predictors.mlp[3].test
  const std::string* user_;
};

}  // namespace harness
