#include "artifact/figure_doc.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include <fmt/format.h>

#include "artifact/process.h"
#include "runtime/error.h"
#include "runtime/text_file.h"

namespace harness {

namespace {

namespace fs = std::filesystem;

constexpr double png_dpi = 200;  // PNG pixels per inch of the paper size

// Panel grid and page size in inches: a column is 3.3 in wide, a page 7 in.
struct layout {
  int64_t rows, cols;
  double width_in, height_in;
};

layout layout_for(size_t panels, figure_width width) {
  int64_t n = std::max<int64_t>(1, static_cast<int64_t>(panels));
  int64_t cols = width == figure_width::one ? 1 : std::min<int64_t>(n, 3);
  int64_t rows = (n + cols - 1) / cols;
  double w = width == figure_width::one ? 3.3 : 7.0;
  double row_h = width == figure_width::one ? 2.3 : 2.5;
  return {rows, cols, w, row_h * static_cast<double>(rows)};
}

// A gnuplot single-quoted string ('' stands for a quote).
std::string quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

std::string number(double v) { return fmt::format("{:.10g}", v); }

double x_span(const figure_panel& p) {
  double lo = 0, hi = 0;
  bool first = true;
  for (const figure_series& s : p.series)
    for (const figure_point& pt : s.points) {
      lo = first ? pt.x : std::min(lo, pt.x);
      hi = first ? pt.x : std::max(hi, pt.x);
      first = false;
    }
  return hi - lo;
}

// The plotting commands, drawn once per terminal.
std::string figure_body(const figure_doc& figure, const std::string& name, const layout& l) {
  std::string out;
  if (figure.panels.size() > 1) out += fmt::format("set multiplot layout {},{}\n", l.rows, l.cols);
  int64_t block = 0;  // the data file's index of the next series
  for (const figure_panel& p : figure.panels) {
    out += fmt::format("set title {}\nset xlabel {}\nset ylabel {}\n", quoted(p.title), quoted(p.xlabel), quoted(p.ylabel));
    out += fmt::format("set xtics {}\n", p.integer_x && x_span(p) <= 12 ? "1" : "autofreq");
    out += p.log_y ? "set logscale y\n" : "unset logscale y\n";
    out += fmt::format("set yrange [{}:{}]\n", p.y_min ? number(*p.y_min) : "*", p.y_max ? number(*p.y_max) : "*");
    std::vector<std::string> items;
    for (size_t s = 0; s < p.series.size(); ++s, ++block)
      items.push_back(fmt::format("{} index {} using {} with {} ls {} title {}", quoted(name + ".dat"), block,
                                  p.series[s].bounds ? "1:2:3:4" : "1:2",
                                  p.series[s].bounds ? "yerrorlines" : "linespoints", s + 1, quoted(p.series[s].title)));
    for (const figure_hline& h : p.hlines)
      items.push_back(fmt::format("{} with lines ls 9 title {}", number(h.y), quoted(h.title)));
    if (items.empty()) fail("figure {}: panel '{}' has nothing to draw", name, p.title);
    out += "plot ";
    for (size_t i = 0; i < items.size(); ++i) out += (i ? ", \\\n     " : "") + items[i];
    out += '\n';
  }
  if (figure.panels.size() > 1) out += "unset multiplot\n";
  return out;
}

std::string find_on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    fs::path candidate = fs::path(dirs.substr(start, end - start).empty() ? "." : dirs.substr(start, end - start)) / program;
    if (::access(candidate.c_str(), X_OK) == 0 && fs::is_regular_file(candidate)) return candidate.string();
    start = end + 1;
  }
  return "";
}

// Runs `gnuplot script` in `dir` with the clock pinned for the libraries that read SOURCE_DATE_EPOCH.
void run_gnuplot(const std::string& gnuplot, const std::string& dir, const std::string& script) {
  process_result r = run_process({"env", "SOURCE_DATE_EPOCH=0", "TZ=UTC", gnuplot, script}, dir);
  if (r.exit_code != 0)
    fail("{}: gnuplot failed (exit status {}): {}", (fs::path(dir) / script).string(), r.exit_code, r.err);
}

// cairo before 1.17 writes the wall-clock time into the PDF's document information dictionary
// (/CreationDate (D:YYYYMMDDHHMMSS...)) and ignores SOURCE_DATE_EPOCH; gnuplot has no setting for it.
// The date's 14 digits are set to the epoch in place: same length, so every object offset in the
// cross-reference table stays valid. A cairo that honours SOURCE_DATE_EPOCH already wrote the epoch.
void pin_pdf_dates(const std::string& pdf) {
  std::string bytes = read_text_file(pdf);
  bool changed = false;
  for (const std::string key : {"/CreationDate (D:", "/ModDate (D:"}) {
    for (size_t at = bytes.find(key); at != std::string::npos; at = bytes.find(key, at + 1)) {
      size_t digits = at + key.size();
      if (digits + 14 > bytes.size()) continue;
      bool all_digits = std::all_of(bytes.begin() + digits, bytes.begin() + digits + 14, [](char c) { return c >= '0' && c <= '9'; });
      if (!all_digits) fail("{}: unexpected {} date", pdf, key);
      bytes.replace(digits, 14, "19700101000000");
      changed = true;
    }
  }
  if (!changed) return;
  std::ofstream out(pdf, std::ios::binary | std::ios::trunc);
  out << bytes;
  if (!out) fail("{}: cannot write", pdf);
}

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) fail("{}: cannot write", path.string());
}

}  // namespace

figure_width parse_figure_width(const std::string& text) {
  if (text == "one") return figure_width::one;
  if (text == "two") return figure_width::two;
  fail("--width: '{}' is not one or two (paper columns)", text);
}

std::string figure_data(const figure_doc& figure) {
  std::string out;
  int64_t block = 0;
  for (const figure_panel& p : figure.panels)
    for (const figure_series& s : p.series) {
      out += fmt::format("{}# index {}: {} / {}\n", block ? "\n\n" : "", block, p.title, s.title);
      out += s.bounds ? "# x y low high\n" : "# x y\n";
      for (const figure_point& pt : s.points)
        out += s.bounds ? fmt::format("{} {} {} {}\n", number(pt.x), number(pt.y), number(pt.low), number(pt.high))
                        : fmt::format("{} {}\n", number(pt.x), number(pt.y));
      ++block;
    }
  return out;
}

std::string figure_script(const figure_doc& figure, const std::string& name, figure_width width) {
  layout l = layout_for(figure.panels.size(), width);
  std::string body = figure_body(figure, name, l);
  double scale = png_dpi / 72;  // pngcairo sizes fonts and lines in pixels at 72 per inch
  std::string out = fmt::format("# Generated by `harness plot {}` from stored results (data: {}.dat); do not edit.\n", name, name);
  out += "set encoding utf8\nset grid lc rgb '#dddddd'\nset tics nomirror\nset key below horizontal samplen 2\n";
  out += "set style line 1 lc rgb '#0072b2' lw 1.5 pt 7 ps 0.5\nset style line 2 lc rgb '#d55e00' lw 1.5 pt 5 ps 0.5\n"
         "set style line 3 lc rgb '#009e73' lw 1.5 pt 9 ps 0.6\nset style line 4 lc rgb '#cc79a7' lw 1.5 pt 13 ps 0.6\n"
         "set style line 5 lc rgb '#e69f00' lw 1.5 pt 11 ps 0.6\nset style line 6 lc rgb '#56b4e9' lw 1.5 pt 15 ps 0.6\n"
         "set style line 7 lc rgb '#000000' lw 1.5 pt 3 ps 0.6\nset style line 8 lc rgb '#999999' lw 1.5 pt 1 ps 0.6\n"
         "set style line 9 lc rgb '#000000' lw 1 dt 2\n";
  out += fmt::format("set terminal pdfcairo size {:.2f}in,{:.2f}in font 'Sans,7' noenhanced\nset output {}\n", l.width_in,
                     l.height_in, quoted(name + ".pdf"));
  out += body;
  out += fmt::format("set terminal pngcairo size {},{} font 'Sans,7' fontscale {:.4f} linewidth {:.4f} noenhanced\nset output {}\n",
                     static_cast<int64_t>(l.width_in * png_dpi), static_cast<int64_t>(l.height_in * png_dpi), scale, scale,
                     quoted(name + ".png"));
  out += body;
  out += "unset output\n";
  return out;
}

void draw_figure(const figure_doc& figure, const std::string& name, const std::string& out_dir, figure_width width) {
  std::string gnuplot = find_on_path("gnuplot");
  if (gnuplot.empty())
    fail("plot {}: gnuplot not found on PATH; install it (Debian: apt-get install gnuplot-nox, as scripts/setup.sh does)", name);
  fs::create_directories(out_dir);
  write_file(fs::path(out_dir) / (name + ".dat"), figure_data(figure));
  write_file(fs::path(out_dir) / (name + ".gp"), figure_script(figure, name, width));
  run_gnuplot(gnuplot, out_dir, name + ".gp");
  pin_pdf_dates((fs::path(out_dir) / (name + ".pdf")).string());
}

}  // namespace harness
