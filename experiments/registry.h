// registry.h: every experiment is a registered case: a name, a version (bumped whenever what it measures
// changes), the paper table or figure it feeds, its options with defaults, and a run function.
#pragma once
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace harness {

struct case_option {
  std::string name;  // without the leading "--"
  std::string default_value;
  std::string help;
};

// Resolved options of one run: every declared option, defaulted where not given.
class case_args {
 public:
  case_args(std::string case_name, std::map<std::string, std::string> values)
      : case_name_(std::move(case_name)), values_(std::move(values)) {}
  const std::string& get(const std::string& name) const;
  int64_t get_int(const std::string& name) const;
  double get_double(const std::string& name) const;
  bool get_bool(const std::string& name) const;  // "true"/"false"
  // Comma-separated values; an empty option is an empty list.
  std::vector<std::string> get_list(const std::string& name) const;
  std::vector<double> get_double_list(const std::string& name) const;
  std::vector<int64_t> get_int_list(const std::string& name) const;
  const std::map<std::string, std::string>& all() const { return values_; }

 private:
  std::string case_name_;
  std::map<std::string, std::string> values_;
};

struct experiment_case {
  std::string name;
  int version = 1;
  std::string feeds;    // the table or figure it produces
  std::string summary;  // one line for `harness list`
  std::vector<case_option> options;
  std::function<void(const case_args&)> run;
  // Named sets of option values (e.g. "tiny": the shipped models in minutes on a laptop CPU; "paper":
  // the real scale). Chosen with --preset; options given explicitly override the preset's.
  std::map<std::string, std::map<std::string, std::string>> presets = {};
};

const std::vector<experiment_case>& all_cases();
const experiment_case& find_case(std::string_view name);
// Checks `given` against the case's options and fills in the defaults (then the --preset's values, if
// one is given, then the options given).
case_args resolve_args(const experiment_case& c, const std::map<std::string, std::string>& given);

}  // namespace harness
