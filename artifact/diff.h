// diff.h: `harness diff A B` -- two result sets compared metric by metric (docs/diff.md). Results
// pair by (case, subject, config_hash); each pair compares its latest runs (finished_at), with the raw
// timing samples of all its runs pooled per side. A pair whose case version, protocol ids or inputs
// differ is reported as not comparable instead.
#pragma once
#include <string>
#include <tuple>
#include <vector>

#include "artifact/diff_tolerance.h"
#include "artifact/metric_verdict.h"
#include "artifact/result_set.h"

namespace harness {

struct result_key {
  std::string case_name, subject, config_hash;
  bool operator<(const result_key& o) const {
    return std::tie(case_name, subject, config_hash) < std::tie(o.case_name, o.subject, o.config_hash);
  }
};

struct paired_result {
  result_key key;
  std::string path_a, path_b;               // the latest run on each side
  size_t runs_a = 0, runs_b = 0;
  std::vector<std::string> not_comparable;  // why the pair is not compared; empty when it is
  std::vector<metric_comparison> metrics;   // in path order
};

struct unpaired_result {
  result_key key;
  std::string path;  // its latest run
  size_t runs = 0;
};

struct diff_report {
  std::string label_a, label_b;  // what A and B were (a folder or a commit)
  double alpha = 0.01;
  std::vector<paired_result> paired;
  std::vector<unpaired_result> only_a, only_b;
};

diff_report diff_result_sets(const std::vector<stored_result>& a, const std::vector<stored_result>& b,
                             const std::vector<tolerance_rule>& rules, double alpha);

// Whether any metric of a comparable pair is worse beyond its tolerance.
bool has_regression(const diff_report& report);

// `harness diff A B [--repo DIR] [--under DIR] [--tolerances FILE] [--alpha P] [--out FILE.md]
// [--json FILE] [--only-changes] [--fail-on-regression]`: Markdown to stdout or --out; exit 1 on a
// regression when --fail-on-regression is given, else 0.
int diff_command(const std::vector<std::string>& args);

}  // namespace harness
