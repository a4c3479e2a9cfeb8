// build_info.h: the source commit this binary was built from (baked in at build time).
#pragma once

namespace harness {

extern const char* const build_commit;
extern const bool build_dirty;  // tracked files differed from the commit when built

}  // namespace harness
