#include "experiments/registry.h"

#include "experiments/cases/cases.h"
#include "runtime/error.h"

namespace harness {

const std::vector<experiment_case>& all_cases() {
  static const std::vector<experiment_case> cases = {forward_check_case(), perplexity_case(), drift_case(),
                                                       opt_baseline_case(), llama_sparse_case(),
                                                       zero_shot_case(), few_shot_case(), bench_case(), trace_case(),
                                                       kascade_case(),
                                                       train_tiny_pair_case(), scale_check_case()};
  return cases;
}

const experiment_case& find_case(std::string_view name) {
  for (const auto& c : all_cases())
    if (c.name == name) return c;
  fail("unknown case '{}' (see `harness list`)", name);
}

case_args resolve_args(const experiment_case& c, const std::map<std::string, std::string>& given) {
  std::map<std::string, std::string> values;
  for (const auto& o : c.options) values[o.name] = o.default_value;
  if (auto preset = given.find("preset"); preset != given.end()) {
    auto it = c.presets.find(preset->second);
    if (it == c.presets.end()) fail("case '{}' has no preset '{}'", c.name, preset->second);
    for (const auto& [name, value] : it->second) values.at(name) = value;
    values["preset"] = preset->second;
  }
  for (const auto& [name, value] : given) {
    if (name == "preset" && !c.presets.empty()) continue;
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

double case_args::get_double(const std::string& name) const {
  const std::string& text = get(name);
  try {
    size_t used = 0;
    double v = std::stod(text, &used);
    if (used == text.size()) return v;
  } catch (const std::exception&) {
  }
  fail("case '{}': --{} must be a number, got '{}'", case_name_, name, text);
}

bool case_args::get_bool(const std::string& name) const {
  const std::string& text = get(name);
  if (text == "true") return true;
  if (text == "false") return false;
  fail("case '{}': --{} must be true or false, got '{}'", case_name_, name, text);
}

std::vector<std::string> case_args::get_list(const std::string& name) const {
  std::vector<std::string> items;
  const std::string& text = get(name);
  for (size_t start = 0; !text.empty() && start <= text.size();) {
    size_t comma = std::min(text.find(',', start), text.size());
    items.push_back(text.substr(start, comma - start));
    if (items.back().empty()) fail("case '{}': --{} has an empty item in '{}'", case_name_, name, text);
    start = comma + 1;
  }
  return items;
}

std::vector<double> case_args::get_double_list(const std::string& name) const {
  std::vector<double> values;
  for (const std::string& item : get_list(name)) values.push_back(case_args(case_name_, {{name, item}}).get_double(name));
  return values;
}

std::vector<int64_t> case_args::get_int_list(const std::string& name) const {
  std::vector<int64_t> values;
  for (const std::string& item : get_list(name)) values.push_back(case_args(case_name_, {{name, item}}).get_int(name));
  return values;
}

}  // namespace harness
