#include "artifact/mann_whitney.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "runtime/error.h"

namespace harness {

mann_whitney_result mann_whitney_u(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.empty() || b.empty()) fail("Mann-Whitney U test needs samples on both sides (got {} and {})", a.size(), b.size());
  // Pool the values (value, from a?), rank them with ties given their mean rank.
  std::vector<std::pair<double, bool>> pooled;
  for (double x : a) pooled.emplace_back(x, true);
  for (double y : b) pooled.emplace_back(y, false);
  std::sort(pooled.begin(), pooled.end(), [](const auto& l, const auto& r) { return l.first < r.first; });
  const double n_a = static_cast<double>(a.size()), n_b = static_cast<double>(b.size()), n = n_a + n_b;
  double rank_sum_a = 0, tie_term = 0;  // tie_term: sum over tie groups of t^3 - t
  for (size_t i = 0; i < pooled.size();) {
    size_t j = i;
    while (j < pooled.size() && pooled[j].first == pooled[i].first) ++j;
    const double t = static_cast<double>(j - i);
    const double mean_rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2;  // ranks i+1 .. j
    for (size_t k = i; k < j; ++k)
      if (pooled[k].second) rank_sum_a += mean_rank;
    tie_term += t * t * t - t;
    i = j;
  }
  mann_whitney_result r;
  r.u_a = rank_sum_a - n_a * (n_a + 1) / 2;
  r.u_b = n_a * n_b - r.u_a;
  const double mu = n_a * n_b / 2;
  const double sigma = std::sqrt(n_a * n_b / 12 * ((n + 1) - tie_term / (n * (n - 1))));
  if (sigma == 0) return r;  // every value tied: no evidence either way
  r.z = (std::max(r.u_a, r.u_b) - mu - 0.5) / sigma;
  r.p = std::min(1.0, std::erfc(r.z / std::sqrt(2.0)));  // 2 * P(Z > z)
  return r;
}

double median(std::vector<double> values) {
  if (values.empty()) fail("median of no values");
  std::sort(values.begin(), values.end());
  size_t m = values.size() / 2;
  return values.size() % 2 ? values[m] : (values[m - 1] + values[m]) / 2;
}

}  // namespace harness
