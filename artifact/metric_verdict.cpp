#include "artifact/metric_verdict.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "artifact/mann_whitney.h"

namespace harness {
namespace {

// better or worse by the sign of `change` (B - A) in `direction`; changed when it has none.
verdict_kind directed(double change, metric_direction direction) {
  if (direction == metric_direction::none) return verdict_kind::changed;
  bool up_is_good = direction == metric_direction::higher_better;
  return (change > 0) == up_is_good ? verdict_kind::better : verdict_kind::worse;
}

void judge_numbers(metric_comparison& c, const tolerance_rule& rule) {
  const double a = c.a->value, b = c.b->value, change = b - a;
  if (a == b || (std::isnan(a) && std::isnan(b))) {
    c.verdict = verdict_kind::same;
    return;
  }
  if (std::isnan(a) || std::isnan(b)) {
    c.verdict = verdict_kind::changed;
    c.detail = "not a number on one side";
    return;
  }
  const double tolerance = std::max(rule.abs, rule.rel * std::max(std::fabs(a), std::fabs(b)));
  if (std::fabs(change) <= tolerance) {
    c.verdict = verdict_kind::within_tolerance;
    c.detail = fmt::format("±{:.3g}", tolerance);
    return;
  }
  const double se = std::hypot(c.a->std_error, c.b->std_error);
  if (se > 0 && std::fabs(change) <= rule.stderr_k * se) {
    c.verdict = verdict_kind::within_tolerance;
    c.detail = fmt::format("{:g} x {:.3g} combined stderr", rule.stderr_k, se);
    return;
  }
  c.verdict = directed(change, rule.direction);
  c.detail = se > 0 ? fmt::format("{:.1f} combined stderr", std::fabs(change) / se)
                    : fmt::format("beyond ±{:.3g}", tolerance);
}

void judge_timings(metric_comparison& c, const tolerance_rule& rule, double alpha) {
  const size_t n_a = c.a->samples.size(), n_b = c.b->samples.size();
  if (n_a < min_timing_samples || n_b < min_timing_samples) {
    c.verdict = verdict_kind::too_few_repetitions;
    c.detail = fmt::format("n={}/{}, {} needed on each side", n_a, n_b, min_timing_samples);
    return;
  }
  mann_whitney_result u = mann_whitney_u(c.a->samples, c.b->samples);
  c.p = u.p;
  const double ratio = c.b->value / c.a->value;  // medians
  c.detail = fmt::format("n={}/{}, p={:.2g}, median ratio {:.3f}", n_a, n_b, u.p, ratio);
  const bool slower = ratio > 1 + rule.rel, faster = ratio < 1 / (1 + rule.rel);
  if (u.p < alpha && (slower || faster)) c.verdict = directed(c.b->value - c.a->value, rule.direction);
  else c.verdict = c.a->samples == c.b->samples ? verdict_kind::same : verdict_kind::within_tolerance;
}

}  // namespace

const char* verdict_name(verdict_kind v) {
  switch (v) {
    case verdict_kind::same: return "same";
    case verdict_kind::within_tolerance: return "within tolerance";
    case verdict_kind::better: return "better";
    case verdict_kind::worse: return "worse";
    case verdict_kind::changed: return "changed";
    case verdict_kind::too_few_repetitions: return "too few repetitions";
    case verdict_kind::only_in_a: return "only in A";
    case verdict_kind::only_in_b: return "only in B";
  }
  return "?";
}

metric_comparison compare_metric(const std::string& path, const metric_leaf* a, const metric_leaf* b,
                                 const tolerance_rule& rule, double alpha) {
  metric_comparison c;
  c.path = path;
  if (a) c.a = *a;
  if (b) c.b = *b;
  if (!a || !b) {
    c.verdict = a ? verdict_kind::only_in_a : verdict_kind::only_in_b;
    return c;
  }
  const bool a_timing = a->kind == metric_kind::timing, b_timing = b->kind == metric_kind::timing;
  const bool a_text = a->kind == metric_kind::text, b_text = b->kind == metric_kind::text;
  if (a_timing != b_timing || a_text != b_text) {
    c.verdict = verdict_kind::changed;
    c.detail = fmt::format("{} in A, {} in B", metric_kind_name(a->kind), metric_kind_name(b->kind));
  } else if (a_text) {
    c.verdict = a->text == b->text ? verdict_kind::same : verdict_kind::changed;
  } else if (a_timing) {
    judge_timings(c, rule, alpha);
  } else {
    judge_numbers(c, rule);
  }
  return c;
}

}  // namespace harness
