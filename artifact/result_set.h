// result_set.h: the stored results a table, figure, diff or bundle reads: every result JSON under a
// folder (any depth), each with the path it came from. Files that are not results (no
// "schema_version") and the trace case's Chrome traces (*.trace.json, not even parsed) are skipped; a result of another schema version or broken JSON is an error that
// names the file.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace harness {

// Whether a path names a file a case writes beside its result, not a result: the trace case's Chrome
// traces (*.trace.json) and the kascade case's schedules (*.schedule.json).
bool is_companion_file(const std::string& path);

struct stored_result {
  std::string path;     // where it was read from (a file, or "COMMIT:path" when read through git)
  nlohmann::json doc;   // the result document (docs/results.md)

  std::string case_name() const { return doc.at("case").at("name").get<std::string>(); }
  std::string subject() const { return doc.at("subject").get<std::string>(); }
  std::string finished_at() const { return doc.at("finished_at").get<std::string>(); }
  bool valid() const { return doc.at("status") == "VALID"; }
};

// Every result under `dir`, sorted by path. A missing folder is an error.
std::vector<stored_result> read_result_folder(const std::string& dir);

// Checks one parsed document is a result this code reads (schema_version and the fields readers use);
// `origin` names it in the error.
void check_result_document(const nlohmann::json& doc, const std::string& origin);

// The latest run (by finished_at, then path) of each (case, subject) pair among `results`, in
// (case, subject) order; `only_case` keeps one case when not empty.
std::vector<stored_result> latest_per_subject(const std::vector<stored_result>& results,
                                              const std::string& only_case = "");

}  // namespace harness
