// mann_whitney.h: the two-sided Mann-Whitney U test of two independent samples (do the values of one
// tend to be larger?), by the normal approximation with tie correction and continuity correction
// (as scipy.stats.mannwhitneyu(method="asymptotic", use_continuity=True)). Used on raw timing samples.
#pragma once
#include <cstddef>
#include <vector>

namespace harness {

struct mann_whitney_result {
  double u_a = 0;  // U of sample a: pairs (x from a, y from b) with x > y, ties counting one half
  double u_b = 0;  // the same for b; u_a + u_b = n_a * n_b
  double z = 0;    // (max(u_a, u_b) - n_a n_b / 2 - 1/2) / sigma; 0 when sigma is 0 (all values tied)
  double p = 1;    // two-sided p-value, at most 1
};

// Both samples must be non-empty (an error otherwise).
mann_whitney_result mann_whitney_u(const std::vector<double>& a, const std::vector<double>& b);

// The median of a non-empty sample (mean of the middle two for an even count).
double median(std::vector<double> values);

}  // namespace harness
