// diff_command.cpp: the `harness diff` command line: read both result sets, compare, write the reports.
#include <fstream>
#include <iostream>
#include <stdexcept>

#include "artifact/diff.h"
#include "artifact/diff_render.h"
#include "artifact/result_source.h"
#include "runtime/error.h"
#include "runtime/json_file.h"
#include "tools/cli_options.h"

namespace harness {

int diff_command(const std::vector<std::string>& args) {
  std::vector<std::string> positional;
  auto options = parse_command_options(args, {"only-changes", "fail-on-regression"},
                                       {"repo", "under", "tolerances", "alpha", "out", "json"}, "diff", &positional);
  if (positional.size() != 2)
    fail("`harness diff` needs two result sets, A and B (folders or commits), got {}", positional.size());
  auto option = [&](const std::string& name, const std::string& fallback) {
    auto it = options.find(name);
    return it == options.end() ? fallback : it->second;
  };
  const std::string repo = option("repo", "."), under = option("under", "results");
  double alpha = 0;
  try {
    size_t used = 0;
    alpha = std::stod(option("alpha", "0.01"), &used);
    if (used != option("alpha", "0.01").size()) throw std::invalid_argument("trailing characters");
  } catch (const std::exception&) {
    fail("`harness diff`: --alpha {} is not a number", option("alpha", ""));
  }
  if (!(alpha > 0 && alpha < 1)) fail("`harness diff`: --alpha must lie between 0 and 1 (got {})", alpha);
  auto rules = read_tolerance_rules(option("tolerances", default_tolerance_file()));

  diff_report report = diff_result_sets(read_result_source(positional[0], repo, under),
                                        read_result_source(positional[1], repo, under), rules, alpha);
  report.label_a = positional[0];
  report.label_b = positional[1];
  const bool only_changes = options.count("only-changes") > 0;
  const std::string markdown = diff_markdown(report, only_changes);
  if (options.count("out")) {
    std::ofstream out(options["out"]);
    if (!(out << markdown)) fail("{}: cannot write", options["out"]);
  } else {
    std::cout << markdown;
  }
  if (options.count("json")) write_json_file_atomic(options["json"], diff_json(report, only_changes));
  return options.count("fail-on-regression") && has_regression(report) ? 1 : 0;
}

}  // namespace harness
