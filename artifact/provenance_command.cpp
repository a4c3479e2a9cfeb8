#include "artifact/provenance_command.h"

#include <algorithm>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "artifact/code_changes.h"
#include "artifact/provenance.h"
#include "runtime/error.h"
#include "tools/cli_options.h"

namespace harness {

namespace {

// The position among `runs` of the run that wrote `file`.
size_t find_run(const std::vector<provenance_record>& runs, const std::string& results_dir, const std::string& file,
                const std::string& case_name) {
  std::string as_logged = result_path_in_log(results_dir, file);
  for (size_t i = runs.size(); i-- > 0;) {
    auto results = runs[i].results();
    if (std::find(results.begin(), results.end(), file) != results.end() ||
        std::find(results.begin(), results.end(), as_logged) != results.end())
      return i;
  }
  fail("{}: no recorded run of case '{}' wrote the result '{}'", provenance_log_path(results_dir), case_name, file);
}

std::string count_text(const nlohmann::json& n) { return n.is_null() ? "binary" : n.dump(); }

void print_files(std::ostream& out, const nlohmann::json& files) {
  if (!files.is_array()) {
    out << "    (diffstat not recorded)\n";
    return;
  }
  for (const auto& f : files) {
    if (f["added"].is_null()) {
      out << fmt::format("    {}  (binary)\n", f["path"].get<std::string>());
    } else {
      out << fmt::format("    {}  +{} -{}\n", f["path"].get<std::string>(), count_text(f["added"]),
                         count_text(f["deleted"]));
    }
  }
}

void print_commits(std::ostream& out, const nlohmann::json& commits) {
  for (const auto& c : commits) {
    out << fmt::format("- {}  {}  {}\n", c["commit"].get<std::string>().substr(0, 12), c["date"].get<std::string>(),
                       c["subject"].get<std::string>());
    print_files(out, c["files"]);
  }
}

std::string describe(const provenance_record& r) {
  std::string code = r.dirty() ? fmt::format("commit {} + uncommitted {}", r.commit().substr(0, 12),
                                             r.patch().empty() ? "diff (not stored)" : r.patch())
                               : fmt::format("commit {}", r.commit().substr(0, 12));
  return fmt::format("{}  (recorded {}, subject {}, {})", fmt::join(r.results(), ", "),
                     r.doc["time"].get<std::string>(), r.doc.value("subject", "?"), code);
}

// The commits the log recorded between runs[base] and runs[head]: each later run's list, in order
// (used when git cannot answer; exact when the runs are consecutive).
nlohmann::json logged_commits(const std::vector<provenance_record>& runs, size_t base, size_t head) {
  nlohmann::json commits = nlohmann::json::array();
  for (size_t i = base + 1; i <= head; ++i)
    for (const auto& c : runs[i].doc.value("changes", nlohmann::json::array()))
      if (c.value("kind", "") == "commit") commits.push_back(c);
  return commits;
}

void print_uncommitted(std::ostream& out, const std::string& label, const provenance_record& r) {
  if (!r.dirty()) {
    out << fmt::format("- {}: none (built from a clean tree)\n", label);
    return;
  }
  std::string patch = r.patch().empty() ? "not stored" : r.patch();
  out << fmt::format("- {}: {} (diff_sha256 {})\n", label, patch, r.doc["code"].value("diff_sha256", "?"));
  print_files(out, r.doc["code"].value("patch_files", nlohmann::json()));
}

}  // namespace

int provenance_command(const std::vector<std::string>& args) {
  std::vector<std::string> positional;
  auto options = parse_command_options(args, {}, {"results", "result", "against"}, "provenance", &positional);
  if (positional.size() != 1) fail("`harness provenance` needs exactly one CASE, got {}", positional.size());
  const std::string& case_name = positional[0];
  std::string results_dir = options.count("results") ? options["results"] : "results";

  std::vector<provenance_record> runs;
  for (auto& r : read_provenance_log(results_dir))
    if (r.case_name() == case_name) runs.push_back(std::move(r));
  if (runs.empty()) fail("{}: no recorded run of case '{}'", provenance_log_path(results_dir), case_name);

  size_t chosen = options.count("result") ? find_run(runs, results_dir, options["result"], case_name) : runs.size() - 1;
  std::ostream& out = std::cout;
  out << fmt::format("# Provenance of {}\n\nresult:  {}\n", case_name, describe(runs[chosen]));
  size_t other;
  if (options.count("against")) {
    other = find_run(runs, results_dir, options["against"], case_name);
    if (other == chosen) fail("--against names the same run as the result ({})", options["against"]);
  } else if (chosen == 0) {
    out << "\nThe first recorded run of this case: there is no earlier run to compare with.\n";
    return 0;
  } else {
    other = chosen - 1;
  }
  out << fmt::format("against: {}\n", describe(runs[other]));
  size_t base = std::min(chosen, other), head = std::max(chosen, other);
  const provenance_record& from = runs[base];
  const provenance_record& to = runs[head];
  out << fmt::format("\nChanges from the earlier run ({}) to the later one ({}).\n", base == chosen ? "result" : "against",
                     base == chosen ? "against" : "result");
  out << fmt::format("\n## Commits {}..{}\n\n", from.commit().substr(0, 12), to.commit().substr(0, 12));
  try {
    nlohmann::json between = code_changes(to.doc["code"].value("repo", ""), from.commit(), to.commit());
    out << between["note"].get<std::string>() << "\n";
    print_commits(out, between["commits"]);
    if (between.contains("only_in_from")) {
      out << fmt::format("\nOnly in {} (not in the later run's history):\n", from.commit().substr(0, 12));
      print_commits(out, between["only_in_from"]);
    }
  } catch (const harness_error& e) {
    nlohmann::json commits = logged_commits(runs, base, head);
    out << fmt::format("git cannot answer ({}); the commits the log recorded between these runs ({}):\n", e.what(),
                       commits.size());
    print_commits(out, commits);
  }

  out << "\n## Uncommitted diffs\n\n";
  print_uncommitted(out, "earlier run", from);
  print_uncommitted(out, "later run", to);
  return 0;
}

}  // namespace harness
