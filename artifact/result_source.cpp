#include "artifact/result_source.h"

#include <algorithm>
#include <filesystem>
#include <utility>

#include "artifact/git.h"
#include "runtime/error.h"

namespace harness {
namespace {

// The NUL-separated names `git ls-tree -z` prints.
std::vector<std::string> split_nul(const std::string& text) {
  std::vector<std::string> names;
  size_t start = 0;
  for (size_t end; (end = text.find('\0', start)) != std::string::npos; start = end + 1)
    names.push_back(text.substr(start, end - start));
  return names;
}

// The full hash of the commit `commit` names in `repo`.
std::string resolve_commit(const std::string& repo, const std::string& commit) {
  if (commit.empty() || commit[0] == '-') fail("'{}' is not a commit name", commit);
  std::string sha = git_output(repo, {"rev-parse", "--verify", commit + "^{commit}"});
  sha.erase(sha.find_last_not_of('\n') + 1);
  return sha;
}

}  // namespace

std::vector<stored_result> read_result_commit(const std::string& repo, const std::string& commit,
                                              const std::string& under) {
  // Resolved once, so every file comes from the same commit.
  const std::string sha = resolve_commit(repo, commit);
  std::string listing;
  try {
    listing = git_output(repo, {"ls-tree", "-r", "-z", "--name-only", sha, "--", under});
  } catch (const harness_error& e) {
    fail("commit {}: cannot list {}: {}", commit, under, e.what());
  }
  std::vector<stored_result> results;
  for (const std::string& path : split_nul(listing)) {
    if (path.size() < 5 || path.compare(path.size() - 5, 5, ".json") != 0 || is_companion_file(path)) continue;
    const std::string origin = commit + ":" + path;
    nlohmann::json doc;
    try {
      doc = nlohmann::json::parse(git_output(repo, {"show", sha + ":" + path}));
    } catch (const harness_error& e) {
      fail("{}: cannot read: {}", origin, e.what());
    } catch (const nlohmann::json::exception& e) {
      fail("{}: not valid JSON: {}", origin, e.what());
    }
    if (!doc.is_object() || !doc.contains("schema_version")) continue;  // e.g. a machine description
    check_result_document(doc, origin);
    results.push_back({origin, std::move(doc)});
  }
  std::sort(results.begin(), results.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  return results;
}

std::vector<stored_result> read_result_source(const std::string& spec, const std::string& repo,
                                              const std::string& under) {
  if (std::filesystem::is_directory(spec)) return read_result_folder(spec);
  try {
    resolve_commit(repo, spec);
  } catch (const harness_error& e) {
    fail("'{}' is neither a results folder nor a commit of the repository {} ({})", spec, repo, e.what());
  }
  return read_result_commit(repo, spec, under);
}

}  // namespace harness
