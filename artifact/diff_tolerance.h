// diff_tolerance.h: the rules `harness diff` judges a metric's change by, read from a data file
// (artifact/diff_tolerances.json; the format is in docs/diff.md). An ordered list; the first rule
// whose glob matches the metric's dotted path (and whose kind, when given, is the leaf's) applies.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "artifact/metric_paths.h"

namespace harness {

enum class metric_direction { higher_better, lower_better, none };

struct tolerance_rule {
  std::vector<std::string> globs;   // '*' matches any run of characters (dots too), '?' one character
  std::optional<metric_kind> kind;  // only leaves of this kind, when set
  metric_direction direction = metric_direction::none;
  double abs = 0;       // |B - A| <= abs is within tolerance
  double rel = 0;       // |B - A| <= rel * max(|A|, |B|) is within tolerance; for timings, the median ratio's margin
  double stderr_k = 2;  // statistics: |B - A| <= stderr_k * sqrt(seA^2 + seB^2) is within tolerance
  std::string origin;   // "FILE rule N", for reports and errors
};

// `json` is {"rules": [...], ...}; the last rule must be the catch-all {"metric": "*"} without a kind.
// `origin` names the file in errors.
std::vector<tolerance_rule> parse_tolerance_rules(const nlohmann::json& json, const std::string& origin);
std::vector<tolerance_rule> read_tolerance_rules(const std::string& file);

// The shipped rules file, artifact/diff_tolerances.json of the source tree this was built from.
std::string default_tolerance_file();

bool glob_match(const std::string& glob, const std::string& text);

// The first rule that applies to the leaf at `path` of kind `kind`.
const tolerance_rule& rule_for(const std::vector<tolerance_rule>& rules, const std::string& path, metric_kind kind);

const char* direction_name(metric_direction direction);

}  // namespace harness
