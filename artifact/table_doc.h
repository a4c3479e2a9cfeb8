// table_doc.h: a paper table as data -- columns, rows of cells (value and optional standard error),
// notes -- and its two renderings: GitHub Markdown and LaTeX (booktabs). A row whose result is INVALID
// carries a dagger on its first cell; the reasons go in the notes.
#pragma once
#include <string>
#include <vector>

namespace harness {

struct table_column {
  std::string title;
  bool numeric = false;  // right-aligned
};

struct table_cell {
  std::string value;   // already formatted; empty: not measured (an en dash / "--")
  std::string stderr_text;  // formatted standard error, shown as "value ± stderr"; empty: none
};

struct table_row {
  std::vector<table_cell> cells;  // one per column; the first names the model
  bool invalid = false;           // from an INVALID result: a dagger after the first cell
};

struct table_doc {
  std::string caption;
  std::vector<table_column> columns;
  std::vector<table_row> rows;
  std::vector<std::string> notes;  // plain text, printed under the table in order
};

// "Table: caption", the pipe table, then each note as a paragraph.
std::string table_markdown(const table_doc& table);

// A table float with \caption and \label{tab:NAME}, a booktabs tabular (repeated first cells printed
// once, \midrule between models) and the notes in footnote size.
std::string table_latex(const table_doc& table, const std::string& name);

// Escapes LaTeX's special characters in plain text; the signs ±, † and – become math or "--".
std::string latex_escape(const std::string& text);

}  // namespace harness
