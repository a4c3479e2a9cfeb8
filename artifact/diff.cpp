#include "artifact/diff.h"

#include <map>
#include <set>

#include <fmt/format.h>

#include "artifact/mann_whitney.h"
#include "artifact/metric_paths.h"

namespace harness {
namespace {

using runs_by_key = std::map<result_key, std::vector<const stored_result*>>;

runs_by_key group(const std::vector<stored_result>& results) {
  runs_by_key groups;
  for (const stored_result& r : results)
    groups[{r.case_name(), r.subject(), r.doc.at("config_hash").get<std::string>()}].push_back(&r);
  return groups;
}

const stored_result& latest(const std::vector<const stored_result*>& runs) {
  const stored_result* best = runs.front();
  for (const stored_result* r : runs)
    if (std::make_pair(r->finished_at(), r->path) > std::make_pair(best->finished_at(), best->path)) best = r;
  return *best;
}

std::string shown(const nlohmann::json& j) { return j.is_null() ? "(none)" : j.is_string() ? j.get<std::string>() : j.dump(); }

// Why the latest runs `a` and `b` of one key cannot be compared: case version, protocol ids, inputs.
std::vector<std::string> incomparability(const nlohmann::json& a, const nlohmann::json& b) {
  std::vector<std::string> reasons;
  const nlohmann::json va = a["case"].value("version", nlohmann::json()), vb = b["case"].value("version", nlohmann::json());
  if (va != vb) reasons.push_back(fmt::format("case version differs: {} -> {}", shown(va), shown(vb)));
  auto pa = protocol_ids(a["metrics"]), pb = protocol_ids(b["metrics"]);
  std::set<std::string> protocol_paths;
  for (const auto& [path, id] : pa) protocol_paths.insert(path);
  for (const auto& [path, id] : pb) protocol_paths.insert(path);
  for (const std::string& path : protocol_paths) {
    auto ia = pa.find(path), ib = pb.find(path);
    std::string ida = ia == pa.end() ? "(none)" : ia->second, idb = ib == pb.end() ? "(none)" : ib->second;
    if (ida != idb) reasons.push_back(fmt::format("protocol differs at {}: {} -> {}", path, ida, idb));
  }
  // inputs: role -> file name -> sha256.
  const nlohmann::json& ia = a["inputs"];
  const nlohmann::json& ib = b["inputs"];
  std::set<std::pair<std::string, std::string>> files;
  for (const nlohmann::json* side : {&ia, &ib})
    for (const auto& [role, named] : side->items())
      if (named.is_object())
        for (const auto& [file, sha] : named.items()) files.insert({role, file});
  for (const auto& [role, file] : files) {
    auto hash = [&](const nlohmann::json& inputs) {
      return inputs.contains(role) && inputs[role].is_object() ? inputs[role].value(file, nlohmann::json()) : nlohmann::json();
    };
    nlohmann::json ha = hash(ia), hb = hash(ib);
    if (ha != hb)
      reasons.push_back(fmt::format("input {} {} differs: {} -> {}", role, file, shown(ha).substr(0, 12), shown(hb).substr(0, 12)));
  }
  return reasons;
}

// The latest run's leaves, each timing carrying the samples of every run of the key (median as value).
std::map<std::string, metric_leaf> pooled_leaves(const std::vector<const stored_result*>& runs) {
  std::map<std::string, metric_leaf> leaves = flatten_metrics(latest(runs).doc["metrics"]);
  for (auto& [path, leaf] : leaves)
    if (leaf.kind == metric_kind::timing) leaf.samples.clear();
  for (const stored_result* run : runs)
    for (const auto& [path, leaf] : flatten_metrics(run->doc["metrics"])) {
      auto it = leaves.find(path);
      if (leaf.kind == metric_kind::timing && it != leaves.end() && it->second.kind == metric_kind::timing)
        it->second.samples.insert(it->second.samples.end(), leaf.samples.begin(), leaf.samples.end());
    }
  for (auto& [path, leaf] : leaves)
    if (leaf.kind == metric_kind::timing) leaf.value = median(leaf.samples);
  return leaves;
}

paired_result pair(const result_key& key, const std::vector<const stored_result*>& runs_a,
                   const std::vector<const stored_result*>& runs_b, const std::vector<tolerance_rule>& rules, double alpha) {
  paired_result p{key, latest(runs_a).path, latest(runs_b).path, runs_a.size(), runs_b.size(), {}, {}};
  p.not_comparable = incomparability(latest(runs_a).doc, latest(runs_b).doc);
  if (!p.not_comparable.empty()) return p;
  auto leaves_a = pooled_leaves(runs_a), leaves_b = pooled_leaves(runs_b);
  std::set<std::string> paths;
  for (const auto& [path, leaf] : leaves_a) paths.insert(path);
  for (const auto& [path, leaf] : leaves_b) paths.insert(path);
  for (const std::string& path : paths) {
    auto ia = leaves_a.find(path), ib = leaves_b.find(path);
    const metric_leaf* a = ia == leaves_a.end() ? nullptr : &ia->second;
    const metric_leaf* b = ib == leaves_b.end() ? nullptr : &ib->second;
    p.metrics.push_back(compare_metric(path, a, b, rule_for(rules, path, (a ? a : b)->kind), alpha));
  }
  return p;
}

}  // namespace

diff_report diff_result_sets(const std::vector<stored_result>& a, const std::vector<stored_result>& b,
                             const std::vector<tolerance_rule>& rules, double alpha) {
  diff_report report;
  report.alpha = alpha;
  runs_by_key groups_a = group(a), groups_b = group(b);
  for (const auto& [key, runs] : groups_a) {
    auto other = groups_b.find(key);
    if (other == groups_b.end()) report.only_a.push_back({key, latest(runs).path, runs.size()});
    else report.paired.push_back(pair(key, runs, other->second, rules, alpha));
  }
  for (const auto& [key, runs] : groups_b)
    if (!groups_a.count(key)) report.only_b.push_back({key, latest(runs).path, runs.size()});
  return report;
}

bool has_regression(const diff_report& report) {
  for (const paired_result& p : report.paired)
    for (const metric_comparison& m : p.metrics)
      if (m.verdict == verdict_kind::worse) return true;
  return false;
}

}  // namespace harness
