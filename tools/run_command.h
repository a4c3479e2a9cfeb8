// run_command.h: `harness run CASE [--option value ...] [--paper [--allow-dirty]]`: one registered case,
// its options resolved by the registry. `harness run-unit` runs a sweep's units through the same function.
#pragma once
#include <string>
#include <vector>

namespace harness {

// `words`: the case name, then its options (what follows `harness run`).
void run_command(const std::vector<std::string>& words);

// Fails, as `harness run --paper` does, when paper runs are asked of a harness built from a dirty tree
// without --allow-dirty (or --allow-dirty is given without --paper).
void check_paper_build(bool paper, bool allow_dirty);

}  // namespace harness
