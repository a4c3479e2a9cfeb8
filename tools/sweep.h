// sweep.h: a sweep file -- the runs of a study as data: which cases, on which models, with which options,
// and small grids of option values -- expanded into units, one `harness run` each, every unit checked
// against the registry before anything is written or submitted.
//
//   {"description": "drift of the shipped model at two lengths",
//    "units": [{"case": "drift", "models": ["data/models/tinystories-656k"], "options": {"preset": "tiny"},
//               "grid": {"seqlen": [64, 128]}}]}
//
// An entry names its "case" and may give "model" or "models" (neither: the case's default model),
// "options" (values: strings, numbers, booleans, or lists, which are joined with commas), a "grid" (each
// option a list of values; every combination is one unit; models vary slowest, the grid's last option,
// in name order, fastest) and "paper": true (the units run as `harness run --paper`). Where the results
// go is the sweep's (--out), and so are the work folder and --resume of the cases that keep units: an
// entry may not set out, work or resume.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace harness {

struct sweep_unit {
  std::string case_name;
  std::string label;              // what varies: "drift model=data/models/a seqlen=64"
  std::vector<std::string> argv;  // the words after `harness`: run CASE [--paper] --option value ...
  bool paper = false;
};

// Where the units write: results under `out_dir`; a case that keeps finished work (it declares --work and
// --resume) runs with --work <work_root>/<unit index> --resume true, so a unit run again resumes.
struct sweep_places {
  std::string out_dir;
  std::string work_root;
};

// Expands the sweep `sweep` (read from `file`, which errors name) into its units, in order. Errors name
// the file, the entry ("units[2]") and what is wrong: bad structure, an unknown case, option or preset.
std::vector<sweep_unit> expand_sweep(const nlohmann::json& sweep, const std::string& file, const sweep_places& places);

// Reads the sweep file at `path` (an error names it when it is missing or not JSON), then expand_sweep.
std::vector<sweep_unit> read_sweep(const std::string& path, const sweep_places& places);

}  // namespace harness
