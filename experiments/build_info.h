// build_info.h: the identity of the source tree this binary was built from (baked in at build time by
// cmake/build_info.cmake): commit, dirty flag, sha256 of the uncommitted diff and the file holding that
// diff, the source dir, per-source-file hashes.
#pragma once
#include <vector>

namespace harness {

struct source_hash {
  const char* path;    // relative to the repository root
  const char* sha256;  // of the file as built
};

extern const char* const build_commit;
extern const bool build_dirty;               // tracked files differed from the commit when built
extern const char* const build_diff_sha256;  // sha256 of `git diff HEAD` (of the empty string when clean)
extern const char* const build_diff_path;    // file holding that `git diff HEAD` (empty when clean), written
                                             // beside build_info.cpp; a later build overwrites it
extern const char* const build_source_dir;   // the repository the binary was built from
extern const std::vector<source_hash> build_source_hashes;  // tracked sources of the harness itself

}  // namespace harness
