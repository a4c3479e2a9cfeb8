#include "artifact/result_set.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <utility>

#include "experiments/result_schema.h"
#include "runtime/error.h"
#include "runtime/json_file.h"

namespace harness {

void check_result_document(const nlohmann::json& doc, const std::string& origin) {
  if (!doc.is_object() || !doc.contains("schema_version")) fail("{}: not a result (no schema_version)", origin);
  if (doc["schema_version"] != result_schema_version)
    fail("{}: result schema_version {} is not the version this harness reads ({}); rerun the case", origin,
         doc["schema_version"].dump(), result_schema_version);
  for (const char* field : {"case", "subject", "machine", "config_hash", "code", "inputs", "metrics", "status",
                            "finished_at"})
    if (!doc.contains(field)) fail("{}: result has no '{}' field", origin, field);
  if (!doc["case"].is_object() || !doc["case"].contains("name") || !doc["case"]["name"].is_string())
    fail("{}: result's 'case' has no name", origin);
}

bool is_companion_file(const std::string& path) {
  for (const std::string suffix : {".trace.json", ".schedule.json"})
    if (path.size() >= suffix.size() && path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0) return true;
  return false;
}

std::vector<stored_result> read_result_folder(const std::string& dir) {
  namespace fs = std::filesystem;
  if (!fs::is_directory(dir)) fail("{}: no such results folder", dir);
  std::vector<stored_result> results;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".json") continue;
    std::string path = entry.path().string();
    if (is_companion_file(path)) continue;
    nlohmann::json doc = read_json_file(path);
    if (!doc.is_object() || !doc.contains("schema_version")) continue;  // e.g. a machine description
    check_result_document(doc, path);
    results.push_back({path, std::move(doc)});
  }
  std::sort(results.begin(), results.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  return results;
}

std::vector<stored_result> latest_per_subject(const std::vector<stored_result>& results, const std::string& only_case) {
  std::map<std::pair<std::string, std::string>, const stored_result*> latest;
  for (const auto& r : results) {
    if (!only_case.empty() && r.case_name() != only_case) continue;
    const stored_result*& slot = latest[{r.case_name(), r.subject()}];
    if (!slot || std::make_pair(r.finished_at(), r.path) > std::make_pair(slot->finished_at(), slot->path)) slot = &r;
  }
  std::vector<stored_result> picked;
  for (const auto& [key, r] : latest) picked.push_back(*r);
  return picked;
}

}  // namespace harness
