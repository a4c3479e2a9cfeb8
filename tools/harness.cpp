// harness: the command-line front door. `harness list` shows the registered cases; `harness run CASE
// [--option value ...]` runs one. Errors are one line on stderr and a non-zero exit.
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include <c10/util/Exception.h>
#include <fmt/format.h>

#include "experiments/registry.h"
#include "runtime/error.h"

namespace {

using harness::fail;

void print_usage() {
  std::cout << "usage:\n"
               "  harness list                       the registered experiment cases and their options\n"
               "  harness run CASE [--opt value ...]  run a case (options: see `harness list`)\n";
}

void list_cases() {
  for (const auto& c : harness::all_cases()) {
    std::cout << fmt::format("{} (v{}) — {}\n  feeds: {}\n", c.name, c.version, c.summary, c.feeds);
    for (const auto& o : c.options)
      std::cout << fmt::format("    --{:<12} {} [default: {}]\n", o.name, o.help,
                               o.default_value.empty() ? "none" : o.default_value);
  }
}

// "--key value" and "--key=value" pairs.
std::map<std::string, std::string> parse_options(const std::vector<std::string>& words) {
  std::map<std::string, std::string> options;
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (w.rfind("--", 0) != 0 || w.size() < 3) fail("unexpected argument '{}' (options look like --name value)", w);
    size_t eq = w.find('=');
    if (eq != std::string::npos) {
      options[w.substr(2, eq - 2)] = w.substr(eq + 1);
    } else {
      if (i + 1 >= words.size()) fail("option {} needs a value", w);
      options[w.substr(2)] = words[++i];
    }
  }
  return options;
}

int run(const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    print_usage();
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "list") {
    list_cases();
    return 0;
  }
  if (args[0] == "run") {
    if (args.size() < 2) fail("`harness run` needs a case name (see `harness list`)");
    const harness::experiment_case& c = harness::find_case(args[1]);
    harness::case_args resolved =
        harness::resolve_args(c, parse_options(std::vector<std::string>(args.begin() + 2, args.end())));
    c.run(resolved);
    return 0;
  }
  fail("unknown command '{}' (try `harness help`)", args[0]);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const c10::Error& e) {
    std::cerr << "harness: error: " << e.what_without_backtrace() << "\n";
  } catch (const std::exception& e) {
    std::cerr << "harness: error: " << e.what() << "\n";
  }
  return 1;
}
