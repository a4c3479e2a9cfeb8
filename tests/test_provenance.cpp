// The provenance log on a real temporary git repository: runs recorded between real commits list the
// commits since the previous run of the same case (subjects and numstat, oldest first), a dirty build's
// diff is stored once as a patch whose sha256 is the built diff_sha256, the next run lists that patch,
// other cases do not interfere, damage in the log is named by file:line, git trouble is recorded rather
// than fatal, and `harness provenance` prints the commits between two chosen results.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "artifact/git.h"
#include "artifact/provenance.h"
#include "artifact/provenance_command.h"
#include "runtime/error.h"
#include "runtime/sha256.h"
#include "runtime/text_file.h"
#include "tests/test_paths.h"

namespace {

namespace fs = std::filesystem;
using harness::git_output;

// A git repository in a temporary folder, committed to with a fixed identity.
struct temp_repo {
  harness::test::temp_dir dir{"provenance-repo"};
  std::string path = dir.path().string();

  temp_repo() { git_output(path, {"init", "-q"}); }
  void write(const std::string& file, const std::string& text) const { std::ofstream(dir.path() / file) << text; }
  std::string commit(const std::string& message) const {
    git_output(path, {"add", "-A"});
    git_output(path, {"-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false", "commit", "-q", "-m",
                      message});
    return head();
  }
  std::string head() const {
    std::string h = git_output(path, {"rev-parse", "HEAD"});
    return h.substr(0, h.find('\n'));
  }
  // What the build would bake in now: commit, dirty flag, `git diff HEAD` and its sha256.
  harness::code_identity identity() const {
    std::string diff = git_output(path, {"diff", "HEAD"});
    return {path, head(), !diff.empty(), diff, harness::sha256_string(diff)};
  }
};

// A result file written under the results folder (content does not matter to the log).
std::string result_file(const fs::path& results, const std::string& case_name, const std::string& name) {
  fs::path p = results / case_name / "m1" / "mach" / name;
  fs::create_directories(p.parent_path());
  std::ofstream(p) << "{}\n";
  return p.string();
}

std::string command_output(const std::vector<std::string>& args) {
  std::ostringstream captured;
  std::streambuf* old = std::cout.rdbuf(captured.rdbuf());
  try {
    harness::provenance_command(args);
  } catch (...) {
    std::cout.rdbuf(old);
    throw;
  }
  std::cout.rdbuf(old);
  return captured.str();
}

nlohmann::json file_stat(const std::string& path, int added, int deleted) {
  return {{"path", path}, {"added", added}, {"deleted", deleted}};
}

}  // namespace

CATCH_TEST_CASE("git output returns stdout and a failure names the command and git's message") {
  temp_repo repo;
  repo.write("a.txt", "one\n");
  std::string c = repo.commit("first");
  CATCH_CHECK(c.size() == 40);
  CATCH_CHECK(git_output(repo.path, {"log", "--format=%s"}) == "first\n");
  harness::git_result bad = harness::run_git(repo.path, {"log", "no-such-ref"});
  CATCH_CHECK(bad.exit_code == 128);
  CATCH_CHECK(bad.err.find("no-such-ref") != std::string::npos);
  CATCH_REQUIRE_THROWS_WITH(git_output(repo.path, {"log", "no-such-ref"}),
                            Catch::Contains("`git -C " + repo.path + " log no-such-ref` exited with 128") &&
                                Catch::Contains("unknown revision"));
}

CATCH_TEST_CASE("provenance records commits and uncommitted diffs between runs of a case") {
  temp_repo repo;
  harness::test::temp_dir results_dir("provenance-results");
  const fs::path& results = results_dir.path();
  std::string dir = results.string();
  repo.write("README", "x\n");
  std::string c0 = repo.commit("start");

  // First run: nothing to compare with.
  std::string run1 = result_file(results, "ppl", "run1.json");
  auto r1 = harness::record_run(dir, repo.identity(), {run1}, "ppl", "m1").doc;
  CATCH_CHECK(r1["results"] == nlohmann::json::array({"ppl/m1/mach/run1.json"}));
  CATCH_CHECK(r1["code"]["commit"] == c0);
  CATCH_CHECK(r1["code"]["dirty"] == false);
  CATCH_CHECK(r1["code"]["patch"].is_null());
  CATCH_CHECK(r1["previous"].is_null());
  CATCH_CHECK(r1["changes"].empty());
  CATCH_CHECK(r1["changes_note"] == "first recorded run of this case");
  CATCH_CHECK(!r1.contains("git_error"));

  // Two commits, then a run: both listed, oldest first, with their numstat.
  repo.write("a.txt", "1\n2\n3\n");
  std::string c1 = repo.commit("add a");
  repo.write("a.txt", "1\ntwo\n3\n");
  repo.write("b.txt", "b\n");
  std::string c2 = repo.commit("edit a, add b");
  std::string run2 = result_file(results, "ppl", "run2.json");
  auto r2 = harness::record_run(dir, repo.identity(), {run2}, "ppl", "m1").doc;
  CATCH_CHECK(r2["previous"]["commit"] == c0);
  CATCH_CHECK(r2["previous"]["results"] == nlohmann::json::array({"ppl/m1/mach/run1.json"}));
  CATCH_REQUIRE(r2["changes"].size() == 2);
  CATCH_CHECK(r2["changes"][0]["kind"] == "commit");
  CATCH_CHECK(r2["changes"][0]["commit"] == c1);
  CATCH_CHECK(r2["changes"][0]["subject"] == "add a");
  CATCH_CHECK(r2["changes"][0]["files"] == nlohmann::json::array({file_stat("a.txt", 3, 0)}));
  CATCH_CHECK(r2["changes"][1]["commit"] == c2);
  CATCH_CHECK(r2["changes"][1]["subject"] == "edit a, add b");
  CATCH_CHECK(r2["changes"][1]["files"] == nlohmann::json::array({file_stat("a.txt", 1, 1), file_stat("b.txt", 1, 0)}));
  CATCH_CHECK(r2["changes_note"] == "2 commit(s) from " + c0.substr(0, 12) + " to " + c2.substr(0, 12));

  // A run from a dirty tree: the diff is stored once, named by its sha256, which is the built diff_sha256.
  repo.write("a.txt", "1\ntwo\nthree\n4\n");
  harness::code_identity dirty = repo.identity();
  CATCH_REQUIRE(dirty.dirty);
  std::string run3 = result_file(results, "ppl", "run3.json");
  auto r3 = harness::record_run(dir, dirty, {run3}, "ppl", "m1").doc;
  std::string patch = "patches/" + dirty.diff_sha256 + ".patch";
  CATCH_CHECK(r3["code"]["dirty"] == true);
  CATCH_CHECK(r3["code"]["patch"] == patch);
  CATCH_CHECK(harness::sha256_file((results / patch).string()) == dirty.diff_sha256);
  CATCH_CHECK(harness::read_text_file((results / patch).string()) == dirty.diff);
  CATCH_CHECK(r3["code"]["patch_files"] == nlohmann::json::array({file_stat("a.txt", 2, 1)}));
  CATCH_CHECK(r3["changes"].empty());
  CATCH_CHECK(r3["changes_note"] == "same commit");
  // A second run from the same diff reuses the stored patch.
  std::string run3b = result_file(results, "ppl", "run3b.json");
  auto r3b = harness::record_run(dir, dirty, {run3b}, "ppl", "m1").doc;
  CATCH_CHECK(r3b["code"]["patch"] == patch);
  CATCH_CHECK(std::distance(fs::directory_iterator(results / "patches"), fs::directory_iterator()) == 1);

  // The next clean run after a commit lists the earlier run's uncommitted patch and the commit.
  std::string c3 = repo.commit("commit the edit");
  std::string run4 = result_file(results, "ppl", "run4.json");
  auto r4 = harness::record_run(dir, repo.identity(), {run4}, "ppl", "m1").doc;
  CATCH_CHECK(r4["previous"]["results"] == nlohmann::json::array({"ppl/m1/mach/run3b.json"}));
  CATCH_CHECK(r4["previous"]["patch"] == patch);
  CATCH_REQUIRE(r4["changes"].size() == 2);
  CATCH_CHECK(r4["changes"][0]["kind"] == "uncommitted");
  CATCH_CHECK(r4["changes"][0]["of"] == "previous run");
  CATCH_CHECK(r4["changes"][0]["patch"] == patch);
  CATCH_CHECK(r4["changes"][0]["files"] == nlohmann::json::array({file_stat("a.txt", 2, 1)}));
  CATCH_CHECK(r4["changes"][1]["commit"] == c3);
  CATCH_CHECK(r4["changes"][1]["subject"] == "commit the edit");

  // Another case does not see ppl's runs, and ppl's next run does not see it.
  std::string drift1 = result_file(results, "drift", "d1.json");
  auto d1 = harness::record_run(dir, repo.identity(), {drift1}, "drift", "m1").doc;
  CATCH_CHECK(d1["previous"].is_null());
  CATCH_CHECK(d1["changes_note"] == "first recorded run of this case");
  std::string run5 = result_file(results, "ppl", "run5.json");
  auto r5 = harness::record_run(dir, repo.identity(), {run5}, "ppl", "m1").doc;
  CATCH_CHECK(r5["previous"]["results"] == nlohmann::json::array({"ppl/m1/mach/run4.json"}));

  // The log holds every record, in order, each naming its line.
  auto log = harness::read_provenance_log(dir);
  CATCH_REQUIRE(log.size() == 7);
  CATCH_CHECK(log[5].case_name() == "drift");
  CATCH_CHECK(log[5].origin == harness::provenance_log_path(dir) + ":6");
  CATCH_CHECK(log[3].patch() == patch);

  // The command: run4 against run1 names the three commits between them, oldest first, with their
  // numstat; both endpoints were built clean.
  std::string out = command_output({"ppl", "--results", dir, "--result", run4, "--against", "ppl/m1/mach/run1.json"});
  CATCH_CHECK(out.find("3 commit(s) from " + c0.substr(0, 12) + " to " + c3.substr(0, 12)) != std::string::npos);
  size_t add = out.find(c1.substr(0, 12) + "  "), edit = out.find(c2.substr(0, 12) + "  "),
         commit = out.find(c3.substr(0, 12) + "  ");
  CATCH_CHECK(add != std::string::npos);
  CATCH_CHECK(add < edit);
  CATCH_CHECK(edit < commit);
  CATCH_CHECK(commit != std::string::npos);
  CATCH_CHECK(out.find("add a\n    a.txt  +3 -0\n") != std::string::npos);
  CATCH_CHECK(out.find("edit a, add b\n    a.txt  +1 -1\n    b.txt  +1 -0\n") != std::string::npos);
  CATCH_CHECK(out.find("- earlier run: none (built from a clean tree)") != std::string::npos);
  // Default: the latest run (run5) against the one before it (run4): same commit, nothing between.
  std::string latest = command_output({"ppl", "--results", dir});
  CATCH_CHECK(latest.find("result:  ppl/m1/mach/run5.json") != std::string::npos);
  CATCH_CHECK(latest.find("against: ppl/m1/mach/run4.json") != std::string::npos);
  CATCH_CHECK(latest.find("same commit\n") != std::string::npos);
  // The dirty run against a later one: its patch is named with its diffstat; order follows the log.
  std::string back = command_output({"ppl", "--results", dir, "--result", run3, "--against", run4});
  CATCH_CHECK(back.find("Changes from the earlier run (result) to the later one (against).") != std::string::npos);
  CATCH_CHECK(back.find("- earlier run: " + patch + " (diff_sha256 " + dirty.diff_sha256 + ")\n    a.txt  +2 -1\n") !=
              std::string::npos);
  CATCH_CHECK(back.find("1 commit(s) from " + c2.substr(0, 12) + " to " + c3.substr(0, 12)) != std::string::npos);
  CATCH_CHECK(command_output({"drift", "--results", dir}).find("first recorded run of this case") != std::string::npos);
  CATCH_REQUIRE_THROWS_WITH(command_output({"ppl", "--results", dir, "--result", drift1}),
                            Catch::Contains("no recorded run of case 'ppl' wrote the result"));
  CATCH_REQUIRE_THROWS_WITH(command_output({"opt_baseline", "--results", dir}),
                            Catch::Contains("no recorded run of case 'opt_baseline'"));
}

CATCH_TEST_CASE("provenance notes rewritten history and lists both sides") {
  temp_repo repo;
  harness::test::temp_dir results_dir("provenance-diverged");
  std::string dir = results_dir.path().string();
  repo.write("a.txt", "a\n");
  std::string c0 = repo.commit("base");
  repo.write("a.txt", "b\n");
  std::string c1 = repo.commit("on main");
  harness::record_run(dir, repo.identity(), {result_file(results_dir.path(), "ppl", "r1.json")}, "ppl", "m1");
  git_output(repo.path, {"checkout", "-q", "-b", "other", c0});
  repo.write("c.txt", "c\n");
  std::string c2 = repo.commit("on other");
  auto r = harness::record_run(dir, repo.identity(), {result_file(results_dir.path(), "ppl", "r2.json")}, "ppl", "m1").doc;
  CATCH_CHECK(r["changes_note"].get<std::string>().find(c1.substr(0, 12) + " is not an ancestor of " + c2.substr(0, 12)) !=
              std::string::npos);
  CATCH_REQUIRE(r["changes"].size() == 1);
  CATCH_CHECK(r["changes"][0]["subject"] == "on other");
  CATCH_REQUIRE(r["only_in_previous"].size() == 1);
  CATCH_CHECK(r["only_in_previous"][0]["commit"] == c1);
  std::string out = command_output({"ppl", "--results", dir});
  CATCH_CHECK(out.find("Only in " + c1.substr(0, 12)) != std::string::npos);
}

CATCH_TEST_CASE("provenance records git trouble instead of failing the run") {
  harness::test::temp_dir results_dir("provenance-nogit");
  harness::test::temp_dir not_a_repo("provenance-not-a-repo");
  std::string dir = results_dir.path().string();
  harness::code_identity unknown{not_a_repo.path().string(), "unknown", false, "", harness::sha256_string("")};
  auto first = harness::record_run(dir, unknown, {"elsewhere/r.json"}, "ppl", "m1").doc;
  CATCH_CHECK(first["git_error"] == "this run's commit is unknown (built without git?)");
  CATCH_CHECK(first["results"][0] == (fs::current_path() / "elsewhere/r.json").string());
  harness::code_identity gone{not_a_repo.path().string(), std::string(40, 'a'), false, "", harness::sha256_string("")};
  auto second = harness::record_run(dir, gone, {"elsewhere/r2.json"}, "ppl", "m1").doc;
  CATCH_CHECK(second["git_error"] == "the previous run's commit is unknown");
  auto third = harness::record_run(dir, gone, {"elsewhere/r3.json"}, "ppl", "m1").doc;
  CATCH_CHECK(third["git_error"].get<std::string>().find("is not known to the repository " + not_a_repo.path().string()) !=
              std::string::npos);
  CATCH_CHECK(third["changes_note"] == "commits since the previous run unknown (see git_error)");
  // A dirty build whose diff text is missing or is not the built one stores no patch and says why.
  harness::code_identity stale{not_a_repo.path().string(), std::string(40, 'a'), true, "diff --git a/x b/x\n",
                               std::string(64, '0')};
  auto fourth = harness::record_run(dir, stale, {"elsewhere/r4.json"}, "ppl", "m1").doc;
  CATCH_CHECK(fourth["code"]["patch"].is_null());
  CATCH_CHECK(fourth["patch_error"].get<std::string>().find("is not the one the binary was built from") !=
              std::string::npos);
  CATCH_CHECK(harness::read_provenance_log(dir).size() == 4);
}

CATCH_TEST_CASE("provenance log names a damaged line by file and line") {
  harness::test::temp_dir results_dir("provenance-damaged");
  std::string dir = results_dir.path().string();
  std::string log = harness::provenance_log_path(dir);
  harness::code_identity code{dir, "unknown", false, "", harness::sha256_string("")};
  harness::record_run(dir, code, {"r1.json"}, "ppl", "m1");
  std::ofstream(log, std::ios::app) << "{\"time\": \"2026-01-01T00:00:00Z\", \"case\": \"ppl\"}\n";
  CATCH_REQUIRE_THROWS_WITH(harness::read_provenance_log(dir),
                            Catch::Contains(log + ":2: record has no 'results' list"));
  harness::test::temp_dir torn_dir("provenance-torn");
  std::string torn_log = harness::provenance_log_path(torn_dir.path().string());
  harness::record_run(torn_dir.path().string(), code, {"r1.json"}, "ppl", "m1");
  std::ofstream(torn_log, std::ios::app) << "{\"time\": \"2026-";
  CATCH_REQUIRE_THROWS_WITH(harness::read_provenance_log(torn_dir.path().string()),
                            Catch::Contains(torn_log + ":2: incomplete line"));
  // A run recorded after the torn line keeps its own line whole and notes the damage.
  auto after = harness::record_run(torn_dir.path().string(), code, {"r2.json"}, "ppl", "m1").doc;
  CATCH_CHECK(after["log_error"].get<std::string>().find(torn_log + ":2: incomplete line") != std::string::npos);
  CATCH_CHECK(after["previous"].is_null());
  std::string text = harness::read_text_file(torn_log);
  CATCH_CHECK(text.substr(text.rfind('\n', text.size() - 2) + 1) == after.dump() + "\n");
  harness::test::temp_dir junk_dir("provenance-junk");
  harness::record_run(junk_dir.path().string(), code, {"r1.json"}, "ppl", "m1");
  std::string junk_log = harness::provenance_log_path(junk_dir.path().string());
  std::ofstream(junk_log, std::ios::app) << "not json\n";
  CATCH_REQUIRE_THROWS_WITH(harness::read_provenance_log(junk_dir.path().string()),
                            Catch::Contains(junk_log + ":2: invalid JSON"));
}

CATCH_TEST_CASE("provenance command falls back on the logged commits when git cannot answer") {
  harness::test::temp_dir results_dir("provenance-repo-gone");
  std::string dir = results_dir.path().string();
  std::string c0, c2;
  {
    temp_repo repo;
    repo.write("a.txt", "a\n");
    c0 = repo.commit("first");
    harness::record_run(dir, repo.identity(), {result_file(results_dir.path(), "ppl", "r1.json")}, "ppl", "m1");
    repo.write("a.txt", "b\n");
    repo.commit("second");
    repo.write("a.txt", "c\n");
    c2 = repo.commit("third");
    harness::record_run(dir, repo.identity(), {result_file(results_dir.path(), "ppl", "r2.json")}, "ppl", "m1");
  }  // the repository is deleted here
  std::string out = command_output({"ppl", "--results", dir});
  CATCH_CHECK(out.find("git cannot answer (commit '" + c0 + "' is not known to the repository") != std::string::npos);
  CATCH_CHECK(out.find("the commits the log recorded between these runs (2):") != std::string::npos);
  CATCH_CHECK(out.find("  second\n    a.txt  +1 -1\n") != std::string::npos);
  CATCH_CHECK(out.find(c2.substr(0, 12) + "  ") != std::string::npos);
}

CATCH_TEST_CASE("built code identity reads the build's diff file only for a dirty build") {
  harness::test::temp_dir dir("provenance-built");
  std::string diff_path = (dir.path() / "build_info.cpp.diff").string();
  std::ofstream(diff_path) << "diff --git a/x b/x\n";
  auto dirty = harness::built_code_identity("/src", std::string(40, 'c'), true, "h", diff_path);
  CATCH_CHECK(dirty.repo == "/src");
  CATCH_CHECK(dirty.commit == std::string(40, 'c'));
  CATCH_CHECK(dirty.diff == "diff --git a/x b/x\n");
  CATCH_CHECK(dirty.diff_sha256 == "h");
  CATCH_CHECK(harness::built_code_identity("/src", "c", false, "h", diff_path).diff.empty());
  CATCH_CHECK(harness::built_code_identity("/src", "c", true, "h", diff_path + ".gone").diff.empty());
}
