#include "artifact/render_input.h"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "runtime/error.h"
#include "runtime/sha256.h"

namespace harness {

render_input::render_input(const std::string& results_dir, const std::string& user,
                           const std::vector<std::string>& cases, const std::vector<std::string>& need_one_of)
    : results_dir_(results_dir), user_(user) {
  std::vector<stored_result> all = read_result_folder(results_dir);
  bool found = false;
  for (const std::string& c : cases) {
    by_case_[c] = latest_per_subject(all, c);
    bool needed = std::find(need_one_of.begin(), need_one_of.end(), c) != need_one_of.end();
    found = found || (needed && !by_case_[c].empty());
  }
  if (!found && !need_one_of.empty())
    fail("{}: no result of case {} (needed by {}); run the case with --out {} first", results_dir,
         fmt::join(need_one_of, " or "), user, results_dir);
}

const std::vector<stored_result>& render_input::results(const std::string& case_name) const {
  auto it = by_case_.find(case_name);
  if (it == by_case_.end()) fail("{} reads no case '{}'", user_, case_name);
  return it->second;
}

std::string render_input::relative_path(const stored_result& result) const {
  return std::filesystem::path(result.path).lexically_relative(results_dir_).generic_string();
}

std::vector<const stored_result*> render_input::all_read() const {
  std::vector<const stored_result*> all;
  for (const auto& [name, results] : by_case_)
    for (const stored_result& r : results) all.push_back(&r);
  std::sort(all.begin(), all.end(), [](const auto* a, const auto* b) { return a->path < b->path; });
  return all;
}

std::vector<std::string> render_input::invalid_notes() const {
  std::vector<std::string> notes;
  for (const stored_result* r : all_read()) {
    if (r->valid()) continue;
    std::vector<std::string> reasons;
    if (r->doc.contains("status_reasons"))
      for (const auto& reason : r->doc["status_reasons"]) reasons.push_back(reason.get<std::string>());
    notes.push_back(fmt::format("\u2020 INVALID: {}: {}", relative_path(*r),
                                reasons.empty() ? std::string("no reason recorded") : fmt::format("{}", fmt::join(reasons, "; "))));
  }
  return notes;
}

nlohmann::json render_input::sources(const std::string& name, const std::string& kind) const {
  nlohmann::json list = nlohmann::json::array();
  for (const stored_result* r : all_read())
    list.push_back({{"path", relative_path(*r)},
                    {"sha256", sha256_file(r->path)},
                    {"case", r->case_name()},
                    {"subject", r->subject()},
                    {"status", r->doc["status"]},
                    {"status_reasons", r->doc.value("status_reasons", nlohmann::json::array())}});
  return {{"rendering", name}, {"kind", kind}, {"results", list}};
}

}  // namespace harness
