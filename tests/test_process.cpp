// Running programs without a shell: stdout and stderr captured apart (even when both are large), exit
// codes kept, the working directory honoured, and failures named.
#include <catch2/catch.hpp>

#include "artifact/process.h"
#include "tests/test_paths.h"

CATCH_TEST_CASE("run_process captures output and exit codes") {
  auto r = harness::run_process({"sh", "-c", "printf 'a b'; printf err >&2; exit 3"});
  CATCH_CHECK(r.out == "a b");
  CATCH_CHECK(r.err == "err");
  CATCH_CHECK(r.exit_code == 3);
  // An argument with spaces and quotes reaches the program as one word.
  CATCH_CHECK(harness::run_checked({"printf", "%s", "it's \"one\" word"}) == "it's \"one\" word");
}

CATCH_TEST_CASE("run_process drains large stdout and stderr together") {
  auto r = harness::run_process({"sh", "-c", "head -c 1000000 /dev/zero; head -c 700000 /dev/zero >&2"});
  CATCH_CHECK(r.out.size() == 1000000);
  CATCH_CHECK(r.err.size() == 700000);
  CATCH_CHECK(r.exit_code == 0);
}

CATCH_TEST_CASE("run_process runs in the given folder and names failures") {
  harness::test::temp_dir dir("process");
  CATCH_CHECK(harness::run_checked({"pwd", "-P"}, dir.path().string()).find(dir.path().filename().string()) != std::string::npos);
  CATCH_REQUIRE_THROWS_WITH(harness::run_checked({"sh", "-c", "echo broken >&2; exit 2"}),
                            Catch::Contains("exit 2") && Catch::Contains("broken") && Catch::Contains("sh -c"));
  CATCH_REQUIRE_THROWS_WITH(harness::run_process({"no-such-program-xyz"}), Catch::Contains("no-such-program-xyz"));
}

CATCH_TEST_CASE("run_process without capture leaves the output to the program") {
  auto r = harness::run_process({"sh", "-c", "echo shown; exit 4"}, "", false);
  CATCH_CHECK(r.exit_code == 4);
  CATCH_CHECK(r.out.empty());
  CATCH_CHECK(r.err.empty());
}
