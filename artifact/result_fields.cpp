#include "artifact/result_fields.h"

#include "runtime/error.h"

namespace harness {

result_field::result_field(const stored_result& result, const std::string& user)
    : node_(&result.doc), file_(&result.path), at_(), user_(&user) {}

void result_field::reject(const std::string& what) const {
  fail("{}: '{}' {} (needed by {})", *file_, at_.empty() ? "(root)" : at_, what, *user_);
}

bool result_field::has(const std::string& key) const { return node_->is_object() && node_->contains(key); }

result_field result_field::operator[](const std::string& key) const {
  std::string at = at_.empty() ? key : at_ + "." + key;
  if (!node_->is_object()) reject("is not an object");
  auto it = node_->find(key);
  if (it == node_->end()) fail("{}: no '{}' (needed by {})", *file_, at, *user_);
  return result_field(&*it, file_, at, user_);
}

std::vector<result_field> result_field::elements() const {
  if (!node_->is_array()) reject("is not an array");
  std::vector<result_field> out;
  for (size_t i = 0; i < node_->size(); ++i)
    out.push_back(result_field(&(*node_)[i], file_, fmt::format("{}[{}]", at_, i), user_));
  return out;
}

std::vector<std::pair<std::string, result_field>> result_field::members() const {
  if (!node_->is_object()) reject("is not an object");
  std::vector<std::pair<std::string, result_field>> out;
  for (auto it = node_->begin(); it != node_->end(); ++it)
    out.emplace_back(it.key(), result_field(&it.value(), file_, at_ + "." + it.key(), user_));
  return out;
}

double result_field::number() const {
  if (!node_->is_number()) reject("is not a number");
  return node_->get<double>();
}

std::string result_field::text() const {
  if (!node_->is_string()) reject("is not a string");
  return node_->get<std::string>();
}

}  // namespace harness
