#include "artifact/metric_paths.h"

#include <algorithm>

#include <fmt/format.h>

#include "artifact/mann_whitney.h"

namespace harness {
namespace {

std::string joined(const std::string& prefix, const std::string& key) { return prefix.empty() ? key : prefix + "." + key; }

bool is_number_array(const nlohmann::json& j) {
  return j.is_array() && !j.empty() && std::all_of(j.begin(), j.end(), [](const auto& x) { return x.is_number(); });
}

// A list of records compared element by element (per-layer predictor metrics, sweep levels): an array of
// objects, except per-document "samples", which are raw data.
bool is_record_list(const nlohmann::json& j, const std::string& path) {
  bool samples = path == "samples" || (path.size() > 8 && path.compare(path.size() - 8, 8, ".samples") == 0);
  return !samples && j.is_array() && !j.empty() && std::all_of(j.begin(), j.end(), [](const auto& x) { return x.is_object(); });
}

void flatten(const nlohmann::json& node, const std::string& path, std::map<std::string, metric_leaf>& leaves) {
  if (node.is_number()) {
    leaves[path] = {metric_kind::number, node.get<double>(), 0, {}, ""};
  } else if (node.is_string()) {
    leaves[path] = {metric_kind::text, 0, 0, {}, node.get<std::string>()};
  } else if (node.is_boolean()) {
    leaves[path] = {metric_kind::text, 0, 0, {}, node.dump()};
  } else if (node.is_object()) {
    const bool timing = node.contains("samples") && is_number_array(node["samples"]) &&
                        (!node.contains("value") || node["value"].is_number());
    const bool statistic = !timing && node.contains("value") && node["value"].is_number() && node.contains("stderr") &&
                           node["stderr"].is_number();
    if (timing) {
      auto samples = node["samples"].get<std::vector<double>>();
      double value = node.contains("value") ? node["value"].get<double>() : median(samples);
      leaves[path] = {metric_kind::timing, value, 0, std::move(samples), ""};
    } else if (statistic) {
      leaves[path] = {metric_kind::statistic, node["value"].get<double>(), node["stderr"].get<double>(), {}, ""};
    }
    for (const auto& [key, child] : node.items()) {
      if ((timing || statistic) && (key == "value" || key == "stderr" || key == "samples")) continue;
      if (key == "protocol" && child.is_string()) continue;
      flatten(child, joined(path, key), leaves);
    }
  } else if (is_record_list(node, path)) {
    for (size_t i = 0; i < node.size(); ++i) flatten(node[i], fmt::format("{}[{}]", path, i), leaves);
  }
  // Other arrays (raw per-item values, per-document samples) and nulls are not compared.
}

void collect_protocols(const nlohmann::json& node, const std::string& path, std::map<std::string, std::string>& ids) {
  if (is_record_list(node, path))
    for (size_t i = 0; i < node.size(); ++i) collect_protocols(node[i], fmt::format("{}[{}]", path, i), ids);
  if (!node.is_object()) return;
  for (const auto& [key, child] : node.items()) {
    if (key == "protocol" && child.is_string()) ids[joined(path, key)] = child.get<std::string>();
    else collect_protocols(child, joined(path, key), ids);
  }
}

}  // namespace

const char* metric_kind_name(metric_kind kind) {
  switch (kind) {
    case metric_kind::number: return "number";
    case metric_kind::statistic: return "statistic";
    case metric_kind::timing: return "timing";
    case metric_kind::text: return "text";
  }
  return "?";
}

std::map<std::string, metric_leaf> flatten_metrics(const nlohmann::json& metrics) {
  std::map<std::string, metric_leaf> leaves;
  flatten(metrics, "", leaves);
  return leaves;
}

std::map<std::string, std::string> protocol_ids(const nlohmann::json& metrics) {
  std::map<std::string, std::string> ids;
  collect_protocols(metrics, "", ids);
  return ids;
}

}  // namespace harness
