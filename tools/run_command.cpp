#include "tools/run_command.h"

#include "experiments/build_info.h"
#include "experiments/registry.h"
#include "runtime/error.h"
#include "tools/cli_options.h"

namespace harness {

void check_paper_build(bool paper, bool allow_dirty) {
  if (allow_dirty && !paper) fail("--allow-dirty only applies to paper runs (--paper)");
  if (paper && build_dirty && !allow_dirty)
    fail("a paper run needs a harness built from a clean commit; this one was built from a tree with uncommitted "
         "changes (diff sha256 {}): commit and rebuild, or pass --allow-dirty to store the diff and mark the "
         "result INVALID", build_diff_sha256);
}

void run_command(const std::vector<std::string>& words) {
  if (words.empty()) fail("`harness run` needs a case name (see `harness list`)");
  const experiment_case& c = find_case(words[0]);
  std::vector<std::string> options;
  bool paper = false, allow_dirty = false;
  for (auto it = words.begin() + 1; it != words.end(); ++it) {
    if (*it == "--paper") paper = true;
    else if (*it == "--allow-dirty") allow_dirty = true;
    else options.push_back(*it);
  }
  check_paper_build(paper, allow_dirty);
  c.run(resolve_args(c, parse_options(options)));
}

}  // namespace harness
