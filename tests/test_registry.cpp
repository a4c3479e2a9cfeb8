// The case registry: defaults, presets and explicit options, and the typed getters of case_args.
#include <catch2/catch.hpp>

#include "experiments/registry.h"
#include "runtime/error.h"

namespace harness {

CATCH_TEST_CASE("a preset overrides defaults and explicit options override the preset", "[registry]") {
  const experiment_case& c = find_case("llama_sparse");
  case_args plain = resolve_args(c, {});
  CATCH_CHECK(plain.get("rows") == "20000");
  CATCH_CHECK(plain.get_int("eval-windows") == 0);
  case_args paper = resolve_args(c, {{"preset", "paper"}, {"epochs", "3"}});
  CATCH_CHECK(paper.get_int("rows") == 400000);
  CATCH_CHECK(paper.get("dtype") == "bf16");
  CATCH_CHECK(paper.get_int("epochs") == 3);
  CATCH_CHECK(paper.get("preset") == "paper");  // recorded in the config (and its hash)
  CATCH_CHECK_THROWS_WITH(resolve_args(c, {{"preset", "huge"}}), Catch::Contains("has no preset 'huge'"));
  CATCH_CHECK_THROWS_WITH(resolve_args(find_case("forward_check"), {{"preset", "tiny"}}), Catch::Contains("has no preset"));
}

CATCH_TEST_CASE("case_args parses numbers booleans and lists or names the bad option", "[registry]") {
  case_args a("demo", {{"x", "0.25"}, {"b", "true"}, {"l", "0.5,0.9"}, {"n", "1,2"}, {"e", ""}, {"bad", "1,,2"}});
  CATCH_CHECK(a.get_double("x") == 0.25);
  CATCH_CHECK(a.get_bool("b"));
  CATCH_CHECK(a.get_double_list("l") == std::vector<double>{0.5, 0.9});
  CATCH_CHECK(a.get_int_list("n") == std::vector<int64_t>{1, 2});
  CATCH_CHECK(a.get_list("e").empty());
  CATCH_CHECK_THROWS_WITH(a.get_list("bad"), Catch::Contains("--bad has an empty item"));
  CATCH_CHECK_THROWS_WITH(a.get_bool("x"), Catch::Contains("--x must be true or false"));
  CATCH_CHECK_THROWS_WITH(a.get_double("b"), Catch::Contains("--b must be a number"));
  CATCH_CHECK_THROWS_WITH(a.get_int_list("l"), Catch::Contains("must be an integer"));
}

}  // namespace harness
