#include "artifact/bundle_command.h"

#include <iostream>
#include <utility>

#include <fmt/format.h>

#include "artifact/render.h"
#include "artifact/renderings.h"
#include "runtime/error.h"
#include "tools/cli_options.h"

namespace harness {

std::vector<rendering_kind> paper_rendering_kinds() {
  std::vector<rendering_kind> kinds;
  for (const auto& [kind, folder] : {std::pair<std::string, std::string>{"table", "tables"}, {"figure", "figures"}})
    kinds.push_back({folder, rendering_names(kind),
                     [](const std::string& name) { return find_rendering(name).need_one_of; },
                     [](const std::string& name, const std::string& results, const std::string& out) {
                       render(name, results, out);
                     }});
  return kinds;
}

int bundle_command(const std::vector<std::string>& args, const std::string& commit) {
  auto options = parse_command_options(args, {}, {"results", "out", "source", "allow-invalid"}, "bundle");
  bundle_options o;
  o.results_dir = options.count("results") ? options["results"] : "results";
  o.out_file = options.count("out") ? options["out"] : "artifact/harness-artifact.tar.gz";
  o.source_dir = options.count("source") ? options["source"] : ".";
  o.invalid_reason = options.count("allow-invalid") ? options["allow-invalid"] : "";
  if (options.count("allow-invalid") && o.invalid_reason.empty()) fail("--allow-invalid needs a reason");
  o.commit = commit;
  size_t files = build_bundle(o, paper_rendering_kinds());
  std::cout << fmt::format("bundle: {} ({} files, from {})\n", o.out_file, files, o.results_dir);
  return 0;
}

int verify_bundle_command(const std::vector<std::string>& args) {
  std::vector<std::string> positional;
  parse_command_options(args, {}, {}, "verify-bundle", &positional);
  if (positional.size() != 1) fail("`harness verify-bundle` needs one bundle file");
  std::vector<std::string> problems = verify_bundle(positional[0], paper_rendering_kinds());
  for (const auto& p : problems) std::cout << "FAIL " << p << "\n";
  if (problems.empty()) {
    std::cout << fmt::format("{}: verified (checksums, result schema, tables and figures regenerate byte for byte, "
                             "INVALID results declared)\n", positional[0]);
    return 0;
  }
  std::cout << fmt::format("{}: {} problem(s)\n", positional[0], problems.size());
  return 1;
}

}  // namespace harness
