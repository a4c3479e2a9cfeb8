#include "artifact/code_changes.h"

#include <sstream>

#include "artifact/git.h"
#include "runtime/error.h"

namespace harness {

namespace {

// One `--numstat` line, "ADDED\tDELETED\tPATH" ("-\t-\tPATH" for a binary file).
nlohmann::json numstat_entry(const std::string& line) {
  size_t tab1 = line.find('\t');
  size_t tab2 = tab1 == std::string::npos ? std::string::npos : line.find('\t', tab1 + 1);
  if (tab2 == std::string::npos) fail("git numstat line '{}' is not ADDED<tab>DELETED<tab>PATH", line);
  auto count = [](const std::string& s) -> nlohmann::json {
    if (s == "-") return nullptr;
    return std::stoll(s);
  };
  return {{"path", line.substr(tab2 + 1)},
          {"added", count(line.substr(0, tab1))},
          {"deleted", count(line.substr(tab1 + 1, tab2 - tab1 - 1))}};
}

nlohmann::json numstat_lines(std::istream& in) {
  nlohmann::json files = nlohmann::json::array();
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) files.push_back(numstat_entry(line));
  return files;
}

}  // namespace

nlohmann::json commits_in(const std::string& repo, const std::string& include, const std::string& exclude) {
  // Each commit starts with \x01, its fields separated by \x1f; its --numstat lines follow.
  std::string out = git_output(repo, {"log", "--reverse", "--no-color", "--format=%x01%H%x1f%aI%x1f%s", "--numstat",
                                      include, "^" + exclude, "--"});
  nlohmann::json commits = nlohmann::json::array();
  size_t start = out.find('\x01');
  while (start != std::string::npos) {
    size_t next = out.find('\x01', start + 1);
    std::istringstream block(out.substr(start + 1, next == std::string::npos ? std::string::npos : next - start - 1));
    std::string header;
    std::getline(block, header);
    size_t s1 = header.find('\x1f');
    size_t s2 = s1 == std::string::npos ? std::string::npos : header.find('\x1f', s1 + 1);
    if (s2 == std::string::npos) fail("`git log` printed an unexpected header '{}'", header);
    commits.push_back({{"commit", header.substr(0, s1)},
                       {"date", header.substr(s1 + 1, s2 - s1 - 1)},
                       {"subject", header.substr(s2 + 1)},
                       {"files", numstat_lines(block)}});
    start = next;
  }
  return commits;
}

nlohmann::json code_changes(const std::string& repo, const std::string& from, const std::string& to) {
  // Resolve both first, so an unknown commit is named as such rather than as a failed ancestry test.
  for (const auto& c : {from, to}) {
    git_result known = run_git(repo, {"rev-parse", "--verify", "--quiet", c + "^{commit}"});
    if (!known.ok()) {
      std::string why = known.err.substr(0, known.err.find('\n'));
      fail("commit '{}' is not known to the repository {} (`{}` exited with {}{}{})", c, repo,
           git_command_text(repo, {"rev-parse", "--verify", c + "^{commit}"}), known.exit_code,
           why.empty() ? "" : ": ", why);
    }
  }
  if (from == to) return {{"relation", "same commit"}, {"note", "same commit"}, {"commits", nlohmann::json::array()}};
  git_result ancestor = run_git(repo, {"merge-base", "--is-ancestor", from, to});
  if (ancestor.exit_code != 0 && ancestor.exit_code != 1)
    git_output(repo, {"merge-base", "--is-ancestor", from, to});  // throws with git's message
  nlohmann::json commits = commits_in(repo, to, from);
  if (ancestor.exit_code == 0)
    return {{"relation", "descendant"},
            {"note", fmt::format("{} commit(s) from {} to {}", commits.size(), from.substr(0, 12), to.substr(0, 12))},
            {"commits", commits}};
  return {{"relation", "diverged"},
          {"note", fmt::format("{0} is not an ancestor of {1} (history rewritten, or another branch): the commits "
                               "listed are `git log {1} ^{0}`; those only in {0} (`git log {0} ^{1}`) are listed apart",
                               from.substr(0, 12), to.substr(0, 12))},
          {"commits", commits},
          {"only_in_from", commits_in(repo, from, to)}};
}

nlohmann::json patch_files(const std::string& repo, const std::string& patch_path) {
  std::istringstream out(git_output(repo, {"apply", "--numstat", patch_path}));
  return numstat_lines(out);
}

}  // namespace harness
