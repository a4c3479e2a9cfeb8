// code_changes.h: what git says separates two commits of a repository -- the commits between them
// (hash, subject, author date, per-file added/deleted lines), oldest first -- and the per-file
// line counts of a stored patch. Used by the provenance log and the `harness provenance` command.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

namespace harness {

// Commits reachable from `include` but not from `exclude` (`git log include ^exclude`), oldest first:
// [{"commit", "subject", "date", "files": [{"path", "added", "deleted"}]}] (added/deleted are null for a
// binary file). Errors (no git, unknown commit) throw harness_error naming the git command.
nlohmann::json commits_in(const std::string& repo, const std::string& include, const std::string& exclude);

// The commits from `from` to `to`:
//   {"relation": "same commit" | "descendant" | "diverged", "note": text, "commits": [...],
//    "only_in_from": [...] (diverged only: commits of `from` that `to` does not contain)}
// "descendant": `from` is an ancestor of `to` and "commits" is `git log from..to`. "diverged": history
// was rewritten or the runs were on other branches; "commits" is `git log to ^from`.
nlohmann::json code_changes(const std::string& repo, const std::string& from, const std::string& to);

// Per-file line counts of a patch file (`git apply --numstat`): [{"path", "added", "deleted"}].
nlohmann::json patch_files(const std::string& repo, const std::string& patch_path);

}  // namespace harness
