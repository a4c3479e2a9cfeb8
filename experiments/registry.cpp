#include "experiments/registry.h"

#include "experiments/cases/cases.h"
#include "runtime/error.h"

namespace harness {

const std::vector<experiment_case>& all_cases() {
  static const std::vector<experiment_case> cases = {forward_check_case(), perplexity_case(), drift_case(),
                                                       zero_shot_case(), few_shot_case()};
  return cases;
}

const experiment_case& find_case(const std::string& name) {
  for (const auto& c : all_cases())
    if (c.name == name) return c;
  fail("unknown case '{}' (see `harness list`)", name);
}

case_args resolve_args(const experiment_case& c, const std::map<std::string, std::string>& given) {
  std::map<std::string, std::string> values;
  for (const auto& o : c.options) values[o.name] = o.default_value;
  for (const auto& [name, value] : given) {
    if (!values.count(name)) fail("case '{}' has no option --{} (see `harness list`)", c.name, name);
    values[name] = value;
  }
  return case_args(c.name, values);
}

const std::string& case_args::get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) fail("case '{}': option --{} is not declared", case_name_, name);
  return it->second;
}

int64_t case_args::get_int(const std::string& name) const {
  const std::string& text = get(name);
  try {
    size_t used = 0;
    int64_t v = std::stoll(text, &used);
    if (used == text.size()) return v;
  } catch (const std::exception&) {
  }
  fail("case '{}': --{} must be an integer, got '{}'", case_name_, name, text);
}

}  // namespace harness
