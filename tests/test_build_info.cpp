// The source identity baked into the binary: on a clean tree (as in CI) the diff hash is that of the
// empty string and every per-file hash equals the file on disk; on a dirty tree the diff hash is not.
// The diff file beside build_info.cpp holds exactly the diff that was hashed (the provenance log's patch).
#include <filesystem>

#include <catch2/catch.hpp>

#include "experiments/build_info.h"
#include "runtime/sha256.h"
#include "tests/test_support.h"

namespace harness {

CATCH_TEST_CASE("build info: diff hash and per-source hashes describe the tree that was built", "[results]") {
  CATCH_REQUIRE(build_source_hashes.size() > 10);
  CATCH_CHECK(std::string(build_commit).size() == 40);
  std::string empty = sha256_string("");
  CATCH_CHECK(sha256_file(build_diff_path) == build_diff_sha256);
  CATCH_CHECK(std::filesystem::equivalent(build_source_dir, test::project_dir()));
  if (build_dirty) {
    CATCH_CHECK(std::string(build_diff_sha256) != empty);
  } else {
    CATCH_CHECK(std::string(build_diff_sha256) == empty);
    for (const auto& s : build_source_hashes) {
      CATCH_INFO(s.path);
      CATCH_CHECK(sha256_file((test::project_dir() / s.path).string()) == s.sha256);
    }
  }
}

}  // namespace harness
