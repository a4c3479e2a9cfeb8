#include "artifact/render.h"

#include <filesystem>
#include <fstream>
#include <iostream>

#include <fmt/format.h>

#include "artifact/renderings.h"
#include "runtime/error.h"
#include "runtime/json_file.h"
#include "tools/cli_options.h"

namespace harness {

namespace {

namespace fs = std::filesystem;

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) fail("{}: cannot write", path.string());
}

// `harness table` and `harness plot`: one name or all of `kind`.
int render_command(const std::vector<std::string>& args, const std::string& kind, const std::string& command,
                   const std::string& default_out) {
  std::vector<std::string> positional;
  std::vector<std::string> valued = {"results", "out"};
  if (kind == "figure") valued.push_back("width");
  auto options = parse_command_options(args, {"list"}, valued, command, &positional);
  if (options.count("list")) {
    for (const rendering& r : all_renderings())
      if (r.kind == kind) std::cout << fmt::format("{:<16} {}\n", r.name, r.caption);
    return 0;
  }
  if (positional.size() != 1)
    fail("{}: give one {} name or 'all' (harness {} --list shows them)", command, kind, command);
  std::string results = options.count("results") ? options["results"] : "results";
  std::string out = options.count("out") ? options["out"] : default_out;
  std::string width = options.count("width") ? options["width"] : "one";
  parse_figure_width(width);
  std::vector<std::string> names = positional[0] == "all" ? rendering_names(kind) : std::vector<std::string>{positional[0]};
  for (const std::string& name : names) {
    find_rendering(name, kind);
    render(name, results, out, width);
    std::cout << fmt::format("{} {}: {}\n", kind, name, (fs::path(out) / name).string());
  }
  return 0;
}

}  // namespace

std::vector<std::string> rendering_names(const std::string& kind) {
  std::vector<std::string> names;
  for (const rendering& r : all_renderings())
    if (kind.empty() || r.kind == kind) names.push_back(r.name);
  return names;
}

void render(const std::string& name, const std::string& results_dir, const std::string& out_dir) {
  render(name, results_dir, out_dir, "one");
}

void render(const std::string& name, const std::string& results_dir, const std::string& out_dir, const std::string& width) {
  const rendering& r = find_rendering(name);
  figure_width w = parse_figure_width(width);
  render_input in(results_dir, fmt::format("{} {}", r.kind, r.name), r.cases, r.need_one_of);
  fs::create_directories(out_dir);
  if (r.kind == "table") {
    table_doc table = r.table(in);
    table.caption = r.caption;
    write_text(fs::path(out_dir) / (name + ".md"), table_markdown(table));
    write_text(fs::path(out_dir) / (name + ".tex"), table_latex(table, name));
  } else {
    draw_figure(r.figure(in), name, out_dir, w);
  }
  write_json_file_atomic((fs::path(out_dir) / (name + ".sources.json")).string(), in.sources(name, r.kind));
}

int table_command(const std::vector<std::string>& args) {
  return render_command(args, "table", "table", "artifact/tables");
}

int plot_command(const std::vector<std::string>& args) {
  return render_command(args, "figure", "plot", "artifact/figures");
}

}  // namespace harness
