// provenance.h: the append-only log of every recorded run, `<results dir>/provenance.jsonl` (one JSON
// object per line), and the uncommitted diffs the runs were built with, stored once each as
// `<results dir>/patches/<sha256>.patch`. Each record names the run's result files and code, the
// previous recorded run of the same case, and the code changes since it (docs/provenance.md).
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace harness {

// The code a binary was built from.
struct code_identity {
  std::string repo;         // the source tree (a git repository) it was built from
  std::string commit;       // the full commit hash, or "unknown" when built without git
  bool dirty = false;       // tracked files differed from the commit
  std::string diff;         // `git diff HEAD` as built (empty when clean)
  std::string diff_sha256;  // the sha256 of that diff baked in at build time
};

// The identity experiments/build_info.h bakes in: the diff text is read from `diff_path` (written at
// build time by cmake/build_info.cmake). A missing diff file leaves `diff` empty (record_run says so).
code_identity built_code_identity(const std::string& source_dir, const std::string& commit, bool dirty,
                                  const std::string& diff_sha256, const std::string& diff_path);

// One line of the log.
struct provenance_record {
  std::string origin;  // "<log>:<line>" it was read from ("" for a record just made)
  nlohmann::json doc;  // the record (docs/provenance.md)

  std::string case_name() const { return doc.at("case").get<std::string>(); }
  std::string commit() const { return doc.at("code").at("commit").get<std::string>(); }
  bool dirty() const { return doc.at("code").at("dirty").get<bool>(); }
  std::string patch() const;  // "patches/<sha256>.patch", or "" when clean or not stored
  std::vector<std::string> results() const { return doc.at("results").get<std::vector<std::string>>(); }
};

std::string provenance_log_path(const std::string& results_dir);

// Every record of the log in order (none when there is no log). A damaged line -- not JSON, not a
// record, or the last line cut short -- is an error "<log>:<line>: what is wrong".
std::vector<provenance_record> read_provenance_log(const std::string& results_dir);

// `file` as the log names it: relative to `results_dir` when inside it, else absolute.
std::string result_path_in_log(const std::string& results_dir, const std::string& file);

// Appends the record of a run that wrote `result_files` (under `results_dir`) for `case_name` on
// `subject`, built from `code`: stores the diff as a patch when dirty, finds the previous recorded run
// of the case and lists the changes since it. Problems with git (none installed, unknown commit) or a
// damaged log do not fail the run: the record says what went wrong ("git_error", "log_error"). Only a
// log or patch that cannot be written is an error.
provenance_record record_run(const std::string& results_dir, const code_identity& code,
                             const std::vector<std::string>& result_files, const std::string& case_name,
                             const std::string& subject);

}  // namespace harness
