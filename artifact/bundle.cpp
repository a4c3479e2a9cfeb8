#include "artifact/bundle.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "artifact/json_schema.h"
#include "artifact/process.h"
#include "artifact/result_set.h"
#include "runtime/error.h"
#include "runtime/json_file.h"
#include "runtime/sha256.h"
#include "runtime/utc_time.h"
#include "runtime/text_file.h"

namespace harness {

namespace fs = std::filesystem;

namespace {

constexpr int bundle_version = 1;
const char* const top_folder = "harness-artifact";

// A private folder under the system temp dir, removed with everything in it when the object dies.
class scratch_dir {
 public:
  scratch_dir() {
    std::string pattern = (fs::temp_directory_path() / "harness-bundle-XXXXXX").string();
    if (!mkdtemp(pattern.data())) fail("cannot create a temporary folder under {}", fs::temp_directory_path().string());
    path_ = pattern;
  }
  ~scratch_dir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// Regular files under `root`, as sorted paths relative to it.
std::vector<std::string> files_under(const fs::path& root) {
  std::vector<std::string> files;
  if (!fs::exists(root)) return files;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.is_regular_file()) files.push_back(fs::relative(e.path(), root).generic_string());
  std::sort(files.begin(), files.end());
  return files;
}

void copy_file_into(const fs::path& from, const fs::path& to) {
  if (!fs::is_regular_file(from)) fail("{}: missing (the bundle needs it)", from.string());
  fs::create_directories(to.parent_path());
  fs::copy_file(from, to, fs::copy_options::overwrite_existing);
}

void write_text(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out.flush()) fail("{}: write failed", path.string());
}

bool same_bytes(const fs::path& a, const fs::path& b) { return read_text_file(a.string()) == read_text_file(b.string()); }

// Each machine's environment, from its latest result.
nlohmann::json machines_of(const std::vector<stored_result>& results) {
  std::map<std::string, const stored_result*> latest;
  for (const auto& r : results) {
    const stored_result*& slot = latest[r.doc.at("machine").get<std::string>()];
    if (!slot || r.finished_at() > slot->finished_at()) slot = &r;
  }
  nlohmann::json machines = nlohmann::json::object();
  for (const auto& [machine, r] : latest) machines[machine] = r->doc.value("environment", nlohmann::json::object());
  return machines;
}

// Renders every name of `kind` whose cases have results; returns {rendered, skipped-with-reason}.
std::pair<std::vector<std::string>, nlohmann::json> render_kind(const rendering_kind& kind,
                                                                const std::set<std::string>& cases_present,
                                                                const fs::path& results, const fs::path& out) {
  std::vector<std::string> rendered;
  nlohmann::json skipped = nlohmann::json::object();
  for (const auto& name : kind.names) {
    std::vector<std::string> cases = kind.cases_of(name);
    bool any = std::any_of(cases.begin(), cases.end(), [&](const auto& c) { return cases_present.count(c) > 0; });
    if (!any) {
      skipped[name] = fmt::format("no results of {}", fmt::join(cases, " or "));
      continue;
    }
    kind.render(name, results.string(), out.string());
    rendered.push_back(name);
  }
  return {rendered, skipped};
}

}  // namespace

size_t build_bundle(const bundle_options& options, const std::vector<rendering_kind>& kinds) {
  if (options.out_file.empty()) fail("bundle: no output file given");
  const fs::path src(options.source_dir);
  scratch_dir scratch;
  const fs::path root = scratch.path() / top_folder;

  for (const auto& f : files_under(options.results_dir)) copy_file_into(fs::path(options.results_dir) / f, root / "results" / f);
  std::vector<stored_result> results = read_result_folder((root / "results").string());
  if (results.empty()) fail("{}: no results to bundle", options.results_dir);

  nlohmann::json declared = nlohmann::json::array();
  std::set<std::string> cases_present;
  for (const auto& r : results) {
    cases_present.insert(r.case_name());
    if (r.valid()) continue;
    std::string rel = fs::relative(r.path, root).generic_string();
    if (options.invalid_reason.empty())
      fail("{} is INVALID ({}); bundle it only by declaring why (--allow-invalid REASON)", rel,
           fmt::join(r.doc.value("status_reasons", std::vector<std::string>{}), "; "));
    declared.push_back({{"result", rel}, {"status_reasons", r.doc["status_reasons"]}, {"declared", options.invalid_reason}});
  }

  copy_file_into(src / "artifact/REVIEW.md", root / "README.md");
  copy_file_into(src / "docs/result.schema.json", root / "docs/result.schema.json");
  copy_file_into(src / "docs/results.md", root / "docs/results.md");
  for (const char* f : {"scripts/setup.sh", "scripts/requirements.txt", "Makefile"})
    copy_file_into(src / f, root / "environment" / fs::path(f).filename());
  write_text(root / "environment/machines.json", machines_of(results).dump(2) + "\n");

  nlohmann::json manifest = {{"bundle_version", bundle_version}, {"harness_commit", options.commit},
                             {"created_at", utc_now()},          {"results", results.size()},
                             {"declared_invalid", declared},     {"renderings", nlohmann::json::object()},
                             {"skipped_renderings", nlohmann::json::object()}};
  for (const auto& kind : kinds) {
    auto [rendered, skipped] = render_kind(kind, cases_present, root / "results", root / kind.folder);
    manifest["renderings"][kind.folder] = rendered;
    manifest["skipped_renderings"][kind.folder] = skipped;
  }
  write_text(root / "bundle.json", manifest.dump(2) + "\n");

  std::string sums;
  std::vector<std::string> files = files_under(root);
  for (const auto& f : files) sums += fmt::format("{}  {}\n", sha256_file((root / f).string()), f);
  write_text(root / "SHA256SUMS", sums);

  fs::path out = fs::absolute(options.out_file);
  if (out.has_parent_path()) fs::create_directories(out.parent_path());
  std::string partial = out.string() + ".partial";
  run_checked({"tar", "--sort=name", "--owner=0", "--group=0", "--numeric-owner", "--use-compress-program=gzip -n",
               "-cf", partial, "-C", scratch.path().string(), top_folder});
  fs::rename(partial, out);
  return files.size() + 1;
}

std::vector<std::string> verify_bundle(const std::string& file, const std::vector<rendering_kind>& kinds) {
  if (!fs::is_regular_file(file)) fail("{}: no such bundle", file);
  scratch_dir scratch;
  run_checked({"tar", "-xzf", fs::absolute(file).string(), "-C", scratch.path().string()});
  const fs::path root = scratch.path() / top_folder;
  if (!fs::is_regular_file(root / "SHA256SUMS") || !fs::is_regular_file(root / "bundle.json"))
    fail("{}: not a harness artifact bundle (no {}/SHA256SUMS or bundle.json)", file, top_folder);
  std::vector<std::string> problems;

  // Checksums: every listed file matches, and every file is listed.
  std::set<std::string> listed;
  std::istringstream sums(read_text_file((root / "SHA256SUMS").string()));
  int line_no = 0;
  for (std::string line; std::getline(sums, line);) {
    ++line_no;
    if (line.size() < 67 || line.substr(64, 2) != "  ") {
      problems.push_back(fmt::format("SHA256SUMS:{}: malformed line", line_no));
      continue;
    }
    std::string hash = line.substr(0, 64), path = line.substr(66);
    listed.insert(path);
    if (!fs::is_regular_file(root / path))
      problems.push_back(fmt::format("{}: listed in SHA256SUMS but missing", path));
    else if (sha256_file((root / path).string()) != hash)
      problems.push_back(fmt::format("{}: sha256 differs from SHA256SUMS (the file was changed)", path));
  }
  for (const auto& f : files_under(root))
    if (f != "SHA256SUMS" && !listed.count(f)) problems.push_back(fmt::format("{}: not listed in SHA256SUMS", f));

  // Every result against the bundled schema; INVALID ones only when the manifest declares them.
  nlohmann::json manifest = read_json_file((root / "bundle.json").string());
  std::set<std::string> declared;
  for (const auto& d : manifest.value("declared_invalid", nlohmann::json::array())) declared.insert(d.value("result", ""));
  json_schema schema = read_json_schema((root / "docs/result.schema.json").string());
  for (const auto& f : files_under(root / "results")) {
    if (fs::path(f).extension() != ".json" || is_companion_file(f)) continue;
    std::string rel = "results/" + f;
    nlohmann::json doc;
    try {
      doc = read_json_file((root / rel).string());
    } catch (const harness_error& e) {
      problems.push_back(fmt::format("{}: {}", rel, e.what()));
      continue;
    }
    if (!doc.is_object() || !doc.contains("schema_version")) continue;
    for (const auto& v : schema.violations(doc)) problems.push_back(fmt::format("{}: schema: {}", rel, v));
    if (doc.value("status", "") != "VALID" && !declared.count(rel))
      problems.push_back(fmt::format("{}: INVALID but not declared in bundle.json", rel));
  }

  // Every table and figure regenerates byte for byte from the bundled results.
  for (const auto& kind : kinds) {
    fs::path regen = scratch.path() / "regenerated" / kind.folder;
    fs::create_directories(regen);
    for (const auto& name : manifest["renderings"].value(kind.folder, std::vector<std::string>{})) {
      try {
        kind.render(name, (root / "results").string(), regen.string());
      } catch (const std::exception& e) {
        problems.push_back(fmt::format("{}/{}: does not regenerate: {}", kind.folder, name, e.what()));
      }
    }
    std::vector<std::string> bundled = files_under(root / kind.folder), remade = files_under(regen);
    for (const auto& f : bundled) {
      std::string rel = kind.folder + "/" + f;
      if (std::find(remade.begin(), remade.end(), f) == remade.end())
        problems.push_back(fmt::format("{}: in the bundle but not regenerated from its results", rel));
      else if (!same_bytes(root / kind.folder / f, regen / f))
        problems.push_back(fmt::format("{}: regenerated file differs from the bundled one", rel));
    }
    for (const auto& f : remade)
      if (std::find(bundled.begin(), bundled.end(), f) == bundled.end())
        problems.push_back(fmt::format("{}/{}: regenerated but missing from the bundle", kind.folder, f));
  }
  return problems;
}

}  // namespace harness
