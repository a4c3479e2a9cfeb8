#include "artifact/diff_tolerance.h"

#include <algorithm>

#include <fmt/format.h>

#include "runtime/error.h"
#include "runtime/json_file.h"

namespace harness {
namespace {

metric_direction parse_direction(const nlohmann::json& j, const std::string& where) {
  if (j == "higher_better") return metric_direction::higher_better;
  if (j == "lower_better") return metric_direction::lower_better;
  if (j == "none") return metric_direction::none;
  fail("{}: direction {} is not higher_better, lower_better or none", where, j.dump());
}

std::optional<metric_kind> parse_kind(const nlohmann::json& j, const std::string& where) {
  for (metric_kind k : {metric_kind::number, metric_kind::statistic, metric_kind::timing, metric_kind::text})
    if (j == metric_kind_name(k)) return k;
  fail("{}: kind {} is not number, statistic, timing or text", where, j.dump());
}

double non_negative(const nlohmann::json& rule, const char* field, double fallback, const std::string& where) {
  if (!rule.contains(field)) return fallback;
  if (!rule[field].is_number() || rule[field].get<double>() < 0) fail("{}: {} must be a number >= 0", where, field);
  return rule[field].get<double>();
}

}  // namespace

std::vector<tolerance_rule> parse_tolerance_rules(const nlohmann::json& json, const std::string& origin) {
  if (!json.is_object() || !json.contains("rules") || !json["rules"].is_array() || json["rules"].empty())
    fail("{}: no \"rules\" list", origin);
  std::vector<tolerance_rule> rules;
  for (const auto& j : json["rules"]) {
    tolerance_rule rule;
    rule.origin = fmt::format("{} rule {}", origin, rules.size() + 1);
    if (!j.is_object()) fail("{}: not an object", rule.origin);
    for (const auto& [key, value] : j.items())
      if (key != "metric" && key != "kind" && key != "direction" && key != "abs" && key != "rel" && key != "stderr_k" &&
          key != "comment")
        fail("{}: unknown field '{}'", rule.origin, key);
    const nlohmann::json metric = j.value("metric", nlohmann::json());
    if (metric.is_string()) rule.globs = {metric.get<std::string>()};
    else if (metric.is_array() && !metric.empty() && std::all_of(metric.begin(), metric.end(), [](const auto& g) { return g.is_string(); }))
      rule.globs = metric.get<std::vector<std::string>>();
    else fail("{}: \"metric\" must be a glob or a list of globs", rule.origin);
    if (j.contains("kind")) rule.kind = parse_kind(j["kind"], rule.origin);
    if (!j.contains("direction")) fail("{}: no \"direction\"", rule.origin);
    rule.direction = parse_direction(j["direction"], rule.origin);
    rule.abs = non_negative(j, "abs", 0, rule.origin);
    rule.rel = non_negative(j, "rel", 0, rule.origin);
    rule.stderr_k = non_negative(j, "stderr_k", 2, rule.origin);
    rules.push_back(std::move(rule));
  }
  const tolerance_rule& last = rules.back();
  if (last.kind || last.globs != std::vector<std::string>{"*"})
    fail("{}: the last rule must be the default, {{\"metric\": \"*\"}} without a kind", last.origin);
  return rules;
}

std::vector<tolerance_rule> read_tolerance_rules(const std::string& file) {
  return parse_tolerance_rules(read_json_file(file), file);
}

std::string default_tolerance_file() { return HARNESS_DIFF_TOLERANCES; }

bool glob_match(const std::string& glob, const std::string& text) {
  // Iterative matching with one backtrack point: the last '*' seen.
  size_t g = 0, t = 0, star = std::string::npos, star_t = 0;
  while (t < text.size()) {
    if (g < glob.size() && (glob[g] == '?' || glob[g] == text[t])) {
      ++g, ++t;
    } else if (g < glob.size() && glob[g] == '*') {
      star = g++, star_t = t;
    } else if (star != std::string::npos) {
      g = star + 1, t = ++star_t;
    } else {
      return false;
    }
  }
  while (g < glob.size() && glob[g] == '*') ++g;
  return g == glob.size();
}

const tolerance_rule& rule_for(const std::vector<tolerance_rule>& rules, const std::string& path, metric_kind kind) {
  for (const tolerance_rule& rule : rules) {
    if (rule.kind && *rule.kind != kind) continue;
    for (const std::string& glob : rule.globs)
      if (glob_match(glob, path)) return rule;
  }
  fail("no tolerance rule applies to metric '{}' (the rules must end with the default, \"*\")", path);
}

const char* direction_name(metric_direction direction) {
  switch (direction) {
    case metric_direction::higher_better: return "higher_better";
    case metric_direction::lower_better: return "lower_better";
    case metric_direction::none: return "none";
  }
  return "?";
}

}  // namespace harness
