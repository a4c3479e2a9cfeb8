// figure_doc.h: a paper figure as data -- panels of line series (with optional low/high bounds drawn
// as error bars) and horizontal reference lines -- and its rendering through gnuplot: NAME.gp (the
// script) and NAME.dat (the data) are written to the output folder and gnuplot draws NAME.pdf
// (pdfcairo) and NAME.png (pngcairo) from them, byte-identically on every run.
#pragma once
#include <optional>
#include <string>
#include <vector>

namespace harness {

struct figure_point {
  double x = 0, y = 0;
  double low = 0, high = 0;  // bounds, drawn when the series has them
};

struct figure_series {
  std::string title;
  std::vector<figure_point> points;
  bool bounds = false;  // draw low..high as error bars
};

struct figure_hline {
  std::string title;
  double y = 0;
};

struct figure_panel {
  std::string title, xlabel, ylabel;
  std::vector<figure_series> series;
  std::vector<figure_hline> hlines;  // dashed, across the x range
  bool log_y = false;
  std::optional<double> y_min, y_max;
  bool integer_x = false;  // x is a count (a layer): tics on whole numbers
};

struct figure_doc {
  std::vector<figure_panel> panels;  // laid out in a grid, row by row
};

enum class figure_width { one, two };  // one paper column (3.3 in) or both (7 in)
figure_width parse_figure_width(const std::string& text);

// The gnuplot script and the data file of `figure` (pure; file names relative to the output folder).
std::string figure_script(const figure_doc& figure, const std::string& name, figure_width width);
std::string figure_data(const figure_doc& figure);

// Writes NAME.gp and NAME.dat to `out_dir` and runs gnuplot there to draw NAME.pdf and NAME.png. No
// gnuplot on PATH, or gnuplot failing, is an error.
void draw_figure(const figure_doc& figure, const std::string& name, const std::string& out_dir, figure_width width);

}  // namespace harness
