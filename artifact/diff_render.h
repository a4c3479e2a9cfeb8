// diff_render.h: a diff report as Markdown (a table per paired result, a summary line of counts) and
// as JSON with the same content (docs/diff.md).
#pragma once
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "artifact/diff.h"

namespace harness {

// Every metric's verdict counted by name, plus "not comparable", "only in A" and "only in B" results.
std::map<std::string, size_t> diff_counts(const diff_report& report);

// `only_changes` leaves out the rows whose verdict is "same" (the counts still include them).
std::string diff_markdown(const diff_report& report, bool only_changes);
nlohmann::json diff_json(const diff_report& report, bool only_changes);

}  // namespace harness
