// metric_paths.h: a result's `metrics` object flattened into dotted paths ("tasks.piqa.acc") with one
// leaf each, the form `harness diff` compares. Leaves: plain numbers; statistics {"value", "stderr"};
// timings {"value", "samples": [raw seconds...]} (value optional: the samples' median); strings and
// booleans as text. Arrays of objects (per-layer metrics, sweep levels) are compared element by element
// ("predictors.mlp.attn_in[1].test.recall"); other arrays are raw per-item data and are skipped (a
// timing's samples aside), as are per-document "samples" and nulls. Strings under keys named "protocol" are protocol ids: not leaves, collected apart.
#pragma once
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace harness {

enum class metric_kind { number, statistic, timing, text };

struct metric_leaf {
  metric_kind kind = metric_kind::number;
  double value = 0;             // number, statistic and timing
  double std_error = 0;         // statistic
  std::vector<double> samples;  // timing
  std::string text;             // text: the string, or "true"/"false"
};

const char* metric_kind_name(metric_kind kind);

// Dotted path -> leaf, in path order. Members of a statistic or timing object other than its value,
// stderr and samples (e.g. "docs", "unit") are leaves of their own under the object's path.
std::map<std::string, metric_leaf> flatten_metrics(const nlohmann::json& metrics);

// Dotted path of each "protocol" member with a string value -> that protocol id.
std::map<std::string, std::string> protocol_ids(const nlohmann::json& metrics);

}  // namespace harness
