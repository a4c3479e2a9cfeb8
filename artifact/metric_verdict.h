// metric_verdict.h: one metric of two results judged by its tolerance rule: same, within tolerance,
// better, worse, changed (no known direction), too few repetitions (timings), or present on one side.
#pragma once
#include <optional>
#include <string>

#include "artifact/diff_tolerance.h"
#include "artifact/metric_paths.h"

namespace harness {

enum class verdict_kind { same, within_tolerance, better, worse, changed, too_few_repetitions, only_in_a, only_in_b };

// Timings need this many samples on each side before the U test may call them better or worse.
constexpr size_t min_timing_samples = 9;

struct metric_comparison {
  std::string path;
  std::optional<metric_leaf> a, b;  // a timing's value is the median of its (pooled) samples
  verdict_kind verdict = verdict_kind::same;
  std::string detail;               // why: the tolerance or band used, the p-value, sample counts
  std::optional<double> p;          // timings compared by the U test
};

const char* verdict_name(verdict_kind v);

// Judges `a` against `b` (either may be null, not both) under `rule`; timings by the two-sided
// Mann-Whitney U test at level `alpha` with the rule's rel as the margin on the median ratio.
metric_comparison compare_metric(const std::string& path, const metric_leaf* a, const metric_leaf* b,
                                 const tolerance_rule& rule, double alpha);

}  // namespace harness
