// The Mann-Whitney U test against values worked out by hand (normal approximation with tie and
// continuity correction, as scipy.stats.mannwhitneyu(method="asymptotic", use_continuity=True)).
#include <catch2/catch.hpp>

#include "artifact/mann_whitney.h"
#include "runtime/error.h"

CATCH_TEST_CASE("Mann-Whitney U of fully separated samples") {
  // a = {1,2,3} below b = {4,5,6}: ranks of a 1+2+3 = 6, U_a = 6 - 3*4/2 = 0, U_b = 9.
  // mu = 9/2, sigma^2 = 3*3/12 * (6+1) = 5.25, z = (9 - 4.5 - 0.5) / sqrt(5.25) = 1.745743,
  // p = erfc(z / sqrt 2) = 0.0808556.
  auto r = harness::mann_whitney_u({1, 2, 3}, {4, 5, 6});
  CATCH_CHECK(r.u_a == 0);
  CATCH_CHECK(r.u_b == 9);
  CATCH_CHECK(r.z == Approx(1.7457431).epsilon(1e-6));
  CATCH_CHECK(r.p == Approx(0.0808556).epsilon(1e-5));
  // Symmetric in which side is larger.
  auto s = harness::mann_whitney_u({4, 5, 6}, {1, 2, 3});
  CATCH_CHECK(s.u_a == 9);
  CATCH_CHECK(s.p == Approx(r.p));
}

CATCH_TEST_CASE("Mann-Whitney U with ties uses mean ranks and the tie correction") {
  // Pooled: 1a 2a 2a 2b 3a 3b 4b 5b; ranks 1, 3, 3, 3, 5.5, 5.5, 7, 8.
  // R_a = 1+3+3+5.5 = 12.5, U_a = 12.5 - 10 = 2.5, U_b = 16 - 2.5 = 13.5.
  // Ties: a group of 3 (27-3 = 24) and of 2 (8-2 = 6): 30. sigma^2 = 16/12 * (9 - 30/56) = 11.285714,
  // z = (13.5 - 8 - 0.5) / 3.3594217 = 1.4883514, p = erfc(z / sqrt 2) = 0.1366582.
  auto r = harness::mann_whitney_u({1, 2, 2, 3}, {2, 3, 4, 5});
  CATCH_CHECK(r.u_a == 2.5);
  CATCH_CHECK(r.u_b == 13.5);
  CATCH_CHECK(r.z == Approx(1.4883514).epsilon(1e-6));
  CATCH_CHECK(r.p == Approx(0.1366582).epsilon(1e-5));
}

CATCH_TEST_CASE("Mann-Whitney U of interleaved samples of unequal size") {
  // a = {1,5,9,13,17}, b = {2,4,6,8,10,12}: pairs with x > y: 0+2+4+6+6 = 18 = U_a, U_b = 30 - 18 = 12.
  // mu = 15, sigma^2 = 30/12 * 12 = 30, z = (18 - 15 - 0.5) / sqrt 30 = 0.4564355, p = 0.6480769.
  auto r = harness::mann_whitney_u({1, 5, 9, 13, 17}, {2, 4, 6, 8, 10, 12});
  CATCH_CHECK(r.u_a == 18);
  CATCH_CHECK(r.u_b == 12);
  CATCH_CHECK(r.p == Approx(0.6480769).epsilon(1e-5));
}

CATCH_TEST_CASE("Mann-Whitney U of identical values gives p 1 and an empty side is an error") {
  auto r = harness::mann_whitney_u({7, 7, 7}, {7, 7});
  CATCH_CHECK(r.u_a == 3);
  CATCH_CHECK(r.u_b == 3);
  CATCH_CHECK(r.p == 1);
  // Equal U on both sides: |U - mu| - 1/2 is negative, the p-value is capped at 1.
  CATCH_CHECK(harness::mann_whitney_u({1, 4}, {2, 3}).p == 1);
  CATCH_REQUIRE_THROWS_WITH(harness::mann_whitney_u({}, {1}), Catch::Contains("samples on both sides"));
}

CATCH_TEST_CASE("median of odd and even counts") {
  CATCH_CHECK(harness::median({3, 1, 2}) == 2);
  CATCH_CHECK(harness::median({4, 1, 3, 2}) == 2.5);
}
