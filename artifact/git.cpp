#include "artifact/git.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "artifact/process.h"
#include "runtime/error.h"

namespace harness {

namespace {
std::vector<std::string> full_argv(const std::string& repo, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"git", "-C", repo};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}
}  // namespace

std::string git_command_text(const std::string& repo, const std::vector<std::string>& args) {
  return fmt::format("{}", fmt::join(full_argv(repo, args), " "));
}

git_result run_git(const std::string& repo, const std::vector<std::string>& args) {
  try {
    process_result r = run_process(full_argv(repo, args));
    return {r.exit_code, std::move(r.out), std::move(r.err)};
  } catch (const harness_error& e) {  // git could not be started at all
    return {127, "", e.what()};
  }
}

std::string git_output(const std::string& repo, const std::vector<std::string>& args) {
  git_result r = run_git(repo, args);
  if (!r.ok()) {
    std::string err = r.err;
    while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
    fail("`{}` exited with {}: {}", git_command_text(repo, args), r.exit_code, err.empty() ? "(no message)" : err);
  }
  return r.out;
}

}  // namespace harness
