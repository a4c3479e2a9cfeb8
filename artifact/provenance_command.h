// provenance_command.h: `harness provenance CASE [--results DIR] [--result FILE] [--against FILE]` --
// the code changes (commits with their diffstat, uncommitted diffs) that separate one recorded run of a
// case from another, read from <results dir>/provenance.jsonl and git; printed to stdout.
#pragma once
#include <string>
#include <vector>

namespace harness {

// `args` are the words after "provenance". --result: the run to explain (default: the case's latest
// recorded run); --against: the run to compare with (default: the case's recorded run before it).
// Result files are named as the log names them (relative to DIR) or by a path to the file.
int provenance_command(const std::vector<std::string>& args);

}  // namespace harness
