// render.h: paper tables and figures rendered from stored results alone (no model, no GPU), and the
// `harness table` and `harness plot` commands. Outputs, in the output folder:
//   table NAME:  NAME.md (GitHub Markdown), NAME.tex (LaTeX booktabs), NAME.sources.json
//   figure NAME: NAME.pdf, NAME.png, NAME.gp and NAME.dat (the gnuplot script and data), NAME.sources.json
// NAME.sources.json lists the result files used (paths relative to the results folder, sha256, status).
// Rendering the same results twice gives the same bytes in every file.
#pragma once
#include <string>
#include <vector>

namespace harness {

// Every table and figure name ("table", "figure" or "" for both), in registry order.
std::vector<std::string> rendering_names(const std::string& kind = "");

// Renders table or figure `name` from the results under `results_dir` into `out_dir` (figures one
// column wide). Errors name the result file and the missing field, or the case with no result.
void render(const std::string& name, const std::string& results_dir, const std::string& out_dir);
// The same, figures `width` "one" (3.3 in) or "two" (7 in) paper columns wide.
void render(const std::string& name, const std::string& results_dir, const std::string& out_dir, const std::string& width);

// harness table NAME|all [--results DIR (results)] [--out DIR (artifact/tables)]; harness table --list
int table_command(const std::vector<std::string>& args);
// harness plot NAME|all [--results DIR (results)] [--out DIR (artifact/figures)] [--width one|two]; --list
int plot_command(const std::vector<std::string>& args);

}  // namespace harness
