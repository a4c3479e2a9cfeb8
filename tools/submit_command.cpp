#include "tools/submit_command.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <streambuf>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include "artifact/process.h"
#include "runtime/error.h"
#include "runtime/json_file.h"
#include "runtime/utc_time.h"
#include "tools/cli_options.h"
#include "tools/run_command.h"
#include "tools/slurm_script.h"
#include "tools/sweep.h"

namespace harness {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// This program's own path, for the commands that run units.
std::string self_path() {
  std::error_code error;
  fs::path self = fs::read_symlink("/proc/self/exe", error);
  if (error) fail("cannot find the harness executable (/proc/self/exe): {}", error.message());
  return self.string();
}

// `program` found on $PATH (empty when it is not there).
std::string find_on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "";
  for (size_t start = 0; start <= dirs.size();) {
    size_t colon = std::min(dirs.find(':', start), dirs.size());
    fs::path candidate = fs::path(dirs.substr(start, colon - start)) / program;
    if (colon > start && ::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    start = colon + 1;
  }
  return "";
}

// "1 unit", "3 units".
std::string count_units(size_t n) { return fmt::format("{} unit{}", n, n == 1 ? "" : "s"); }

fs::path done_marker(const fs::path& dir, size_t index) { return dir / "done" / fmt::format("{}.json", index); }

// Units of this sweep that Slurm still holds (pending or running), by unit index -> job id: every job
// in dir/submissions.log asked of squeue, one array task a line. A job squeue no longer knows (finished
// long ago: "Invalid job id specified") holds none; any other squeue failure (a controller that does not
// answer) is an error, since guessing "none" could run a queued unit twice. Without squeue on PATH nothing
// can be known and nothing is returned.
std::map<size_t, std::string> queued_units(const fs::path& dir) {
  std::map<size_t, std::string> queued;
  std::string squeue = find_on_path("squeue");
  std::ifstream log(dir / "submissions.log");
  if (squeue.empty() || !log) return queued;
  std::set<std::string> jobs;
  for (std::string time, word, job; log >> time >> word >> job;) {  // "<UTC> job <id> array <spec>"
    if (word == "job") jobs.insert(job);
    log.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  for (const std::string& job : jobs) {
    process_result r = run_process({squeue, "--noheader", "--array", "--format=%i", "--jobs=" + job});
    if (r.exit_code != 0) {
      if (r.err.find("Invalid job id specified") != std::string::npos) continue;
      fail("`harness submit`: squeue could not say whether job {} (in {}) still holds units of this sweep, so "
           "nothing is submitted (a unit could run twice): squeue exited {}: {}",
           job, (dir / "submissions.log").string(), r.exit_code, r.err.empty() ? "no message" : r.err.substr(0, r.err.find('\n')));
    }
    std::istringstream lines(r.out);
    for (std::string id; lines >> id;) {  // "<job>_<task>"
      size_t underscore = id.find('_');
      if (underscore == std::string::npos || id.substr(0, underscore) != job) continue;
      const std::string task = id.substr(underscore + 1);
      if (!task.empty() && std::all_of(task.begin(), task.end(), [](unsigned char c) { return std::isdigit(c); })) queued[std::stoul(task)] = job;
    }
  }
  return queued;
}

std::string command_line(const std::vector<std::string>& words) {
  std::string line;
  for (const std::string& w : words) {
    if (!line.empty()) line += " ";
    line += shell_quote(w);
  }
  return line;
}

int positive_int(const std::map<std::string, std::string>& options, const std::string& name) {
  auto it = options.find(name);
  if (it == options.end()) return 0;
  size_t used = 0;
  int value = 0;
  try {
    value = std::stoi(it->second, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != it->second.size() || value <= 0)
    fail("`harness submit`: --{} must be a positive integer, got '{}'", name, it->second);
  return value;
}

// Fails unless `dir` is new or holds the same units, submitted from the same folder (a resubmission).
void check_same_sweep(const fs::path& dir, const json& plan) {
  fs::path file = dir / "units.json";
  if (!fs::exists(file)) return;
  json stored = read_json_file(file.string());
  if (stored.value("cwd", json()) != plan["cwd"] || stored.value("units", json()) != plan["units"])
    fail("{}: this sweep folder holds a different sweep (other units, or submitted from another folder than "
         "{}); give another --dir, or remove it", file.string(), plan["cwd"].get<std::string>());
}

// Runs the units `pending` one after another, each as `harness run-unit DIR I` (its own process), with
// progress; a failed unit is reported and the others still run.
int run_locally(const fs::path& dir, const json& units, const std::vector<size_t>& pending) {
  auto start = std::chrono::steady_clock::now();
  std::vector<size_t> failed;
  for (size_t k = 0; k < pending.size(); ++k) {
    size_t i = pending[k];
    std::cerr << fmt::format("submit --local: unit {} ({})\n", i, units[i]["label"].get<std::string>());
    process_result r = run_process({self_path(), "run-unit", dir.string(), std::to_string(i)}, "", false);
    if (r.exit_code != 0) failed.push_back(i);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    double per_unit = s / static_cast<double>(k + 1);
    std::cerr << fmt::format("submit --local: {}/{} units run{} ({:.1f} s/unit, ETA {:.0f} s)\n", k + 1,
                             pending.size(), failed.empty() ? "" : fmt::format(", {} failed", failed.size()),
                             per_unit, per_unit * static_cast<double>(pending.size() - k - 1));
  }
  if (!failed.empty()) {
    std::string list;
    for (size_t i : failed) {
      if (!list.empty()) list += ",";
      list += std::to_string(i);
    }
    std::cerr << fmt::format("submit --local: units {} failed (their output is above); run the same command again "
                             "to retry them\n", list);
    return 1;
  }
  std::cout << fmt::format("all {} units of {} are done\n", units.size(), dir.string());
  return 0;
}

// Copies what is written to std::cout into `seen` too, while it lives: the "result: PATH" lines of a case.
class cout_tee : public std::streambuf {
 public:
  cout_tee() : original_(std::cout.rdbuf(this)) {}
  ~cout_tee() override { std::cout.rdbuf(original_); }
  cout_tee(const cout_tee&) = delete;
  cout_tee& operator=(const cout_tee&) = delete;
  const std::string& seen() const { return seen_; }

 protected:
  int overflow(int c) override {
    if (c == traits_type::eof()) return traits_type::not_eof(c);
    seen_.push_back(static_cast<char>(c));
    return original_->sputc(static_cast<char>(c));
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    seen_.append(s, static_cast<size_t>(n));
    return original_->sputn(s, n);
  }
  int sync() override { return original_->pubsync(); }

 private:
  std::streambuf* original_;
  std::string seen_;
};

}  // namespace

int submit_command(const std::vector<std::string>& words) {
  auto options = parse_command_options(words, {"dry-run", "local"},
                                       {"sweep", "out", "dir", "partition", "account", "time", "cpus", "mem", "gpus"},
                                       "submit");
  fs::path sweep_file = required_option(options, "sweep", "submit");
  fs::path cwd = fs::current_path();
  fs::path out = fs::absolute(options.count("out") ? options["out"] : "results").lexically_normal();
  fs::path dir = fs::absolute(options.count("dir") ? options["dir"] : "runs/sweeps/" + sweep_file.stem().string())
                     .lexically_normal();
  bool dry_run = options.count("dry-run") > 0, local = options.count("local") > 0;

  // Every unit is checked before anything is written.
  std::vector<sweep_unit> units = read_sweep(sweep_file.string(), {out.string(), (dir / "work").string()});
  // Paper units would be refused by a dirty build: say so now, not from every array task.
  bool paper = std::any_of(units.begin(), units.end(), [](const sweep_unit& u) { return u.paper; });
  try {
    check_paper_build(paper, false);
  } catch (const harness_error& e) {
    if (!dry_run) throw;
    std::cerr << "harness submit: warning: the sweep has paper units and " << e.what() << "\n";
  }
  json plan = {{"sweep_file", fs::absolute(sweep_file).lexically_normal().string()}, {"cwd", cwd.string()},
               {"harness", self_path()}, {"out", out.string()}, {"units", json::array()}};
  for (size_t i = 0; i < units.size(); ++i)
    plan["units"].push_back({{"index", i}, {"case", units[i].case_name}, {"label", units[i].label}, {"argv", units[i].argv}});

  check_same_sweep(dir, plan);
  // Units not done, less those an earlier submission still has queued or running.
  std::vector<size_t> pending, queued;
  std::set<std::string> queued_jobs;
  std::map<size_t, std::string> in_slurm = queued_units(dir);
  size_t done = 0;
  for (size_t i = 0; i < units.size(); ++i) {
    if (fs::exists(done_marker(dir, i))) {
      ++done;
    } else if (in_slurm.count(i)) {
      queued.push_back(i);
      queued_jobs.insert(in_slurm[i]);
    } else {
      pending.push_back(i);
    }
  }
  if (!dry_run) write_json_file_atomic((dir / "units.json").string(), plan);
  if (!queued.empty())
    std::cout << fmt::format("{} ({}) still queued or running in Slurm job {}: not submitted again\n",
                             count_units(queued.size()), slurm_array_spec(queued), fmt::join(queued_jobs, ", "));
  if (pending.empty()) {
    if (queued.empty())
      std::cout << fmt::format("all {} units of {} are done (markers in {}); nothing to run\n", units.size(),
                               dir.string(), (dir / "done").string());
    else
      std::cout << fmt::format("{} of {} units are done and the rest are queued or running; nothing is submitted\n",
                               done, units.size());
    return 0;
  }
  std::string sbatch = find_on_path("sbatch");
  if (pending.size() < units.size())
    std::cout << fmt::format("{} of {} units are done (markers in {}); only the other {} ({}) {} {}\n", done, units.size(),
                             (dir / "done").string(), count_units(pending.size()), slurm_array_spec(pending),
                             pending.size() == 1 ? "is" : "are",
                             dry_run ? "listed" : local ? "run" : sbatch.empty() ? "listed" : "submitted");
  if (local && !dry_run) return run_locally(dir, plan["units"], pending);

  slurm_job job;
  job.name = "harness-" + sweep_file.stem().string();
  job.comment = fmt::format("written by `harness submit --sweep {}`: one array task per unit of {}, the {} of {} "
                            "neither done nor queued then", sweep_file.string(), (dir / "units.json").string(), pending.size(),
                            units.size());
  job.indices = pending;
  job.log_pattern = (dir / "logs" / "%A_%a.out").string();
  job.work_dir = cwd.string();
  job.command = {self_path(), "run-unit", dir.string()};
  for (auto [field, name] : {std::pair{&job.partition, "partition"}, {&job.account, "account"}, {&job.time, "time"},
                             {&job.mem, "mem"}})
    if (options.count(name)) *field = options[name];
  job.cpus = positive_int(options, "cpus");
  job.gpus = positive_int(options, "gpus");
  std::string script = slurm_script(job);
  fs::path script_file = dir / "job.sbatch";

  if (dry_run || local || sbatch.empty()) {
    std::cout << (dry_run ? "dry run: nothing is submitted or run. "
                          : "sbatch is not on PATH: nothing is submitted. ")
              << "The commands:\n";
    if (!local) std::cout << fmt::format("sbatch --parsable {}\n", shell_quote(script_file.string()));
    std::cout << fmt::format("# {} {} `harness run-unit {} I`, which runs, in {}:\n", count_units(pending.size()),
                             pending.size() == 1 ? "runs" : "run",
                             shell_quote(dir.string()), shell_quote(cwd.string()));
    for (size_t i : pending) {
      std::vector<std::string> line = {self_path()};
      line.insert(line.end(), units[i].argv.begin(), units[i].argv.end());
      std::cout << fmt::format("{}  # unit {}: {}\n", command_line(line), i, units[i].label);
    }
    if (!dry_run) {
      fs::create_directories(dir / "logs");
      std::ofstream(script_file) << script;
      std::cout << fmt::format("wrote {} and {}\n", (dir / "units.json").string(), script_file.string());
    }
    return 0;
  }

  fs::create_directories(dir / "logs");
  std::ofstream(script_file) << script;
  process_result r = run_process({sbatch, "--parsable", script_file.string()});
  if (r.exit_code != 0)
    fail("sbatch {} failed (exit {}): {}", script_file.string(), r.exit_code, r.err.empty() ? r.out : r.err);
  std::string job_id = r.out.substr(0, r.out.find_first_of(";\n"));
  std::ofstream(dir / "submissions.log", std::ios::app)
      << fmt::format("{} job {} array {}\n", utc_now(), job_id, slurm_array_spec(pending));
  std::cout << fmt::format("submitted job {}: array {} ({}); logs {}, done markers {}\n", job_id,
                           slurm_array_spec(pending), count_units(pending.size()), (dir / "logs").string(), (dir / "done").string());
  std::cout << job_id << "\n";
  return 0;
}

int run_unit_command(const std::vector<std::string>& words) {
  std::vector<std::string> positional;
  parse_command_options(words, {}, {}, "run-unit", &positional);
  if (positional.size() != 2) fail("usage: harness run-unit SWEEP_DIR INDEX");
  fs::path dir = fs::absolute(positional[0]);
  json plan = read_json_file((dir / "units.json").string());
  const json& units = plan.at("units");
  size_t used = 0, index = units.size();
  try {
    index = std::stoul(positional[1], &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != positional[1].size() || index >= units.size())
    fail("{}: no unit '{}' (the sweep has units 0 to {})", (dir / "units.json").string(), positional[1],
         units.size() - 1);
  fs::path marker = done_marker(dir, index);
  if (fs::exists(marker)) {
    std::cout << fmt::format("unit {} is done already ({})\n", index, marker.string());
    return 0;
  }
  const json& unit = units[index];
  std::vector<std::string> argv = unit.at("argv").get<std::vector<std::string>>();
  if (argv.empty() || argv[0] != "run") fail("{}: unit {} is not a `harness run`", (dir / "units.json").string(), index);
  fs::current_path(plan.at("cwd").get<std::string>());
  std::cerr << fmt::format("run-unit: unit {} of {} ({}), in {}:\nrun-unit: harness {}\n", index, units.size(),
                           unit.at("label").get<std::string>(), fs::current_path().string(), command_line(argv));

  auto start = std::chrono::steady_clock::now();
  std::string printed;
  {
    cout_tee tee;
    run_command(std::vector<std::string>(argv.begin() + 1, argv.end()));
    std::cout.flush();
    printed = tee.seen();
  }
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  json results = json::array();
  for (size_t at = 0; (at = printed.find("result: ", at)) != std::string::npos;) {
    if (at > 0 && printed[at - 1] != '\n') {
      ++at;
      continue;
    }
    size_t end = std::min(printed.find('\n', at), printed.size());
    results.push_back(printed.substr(at + 8, end - at - 8));
    at = end;
  }
  json done = {{"unit", index}, {"label", unit["label"]}, {"argv", argv}, {"exit_code", 0}, {"wall_s", wall},
               {"results", results}, {"finished_at", utc_now()}};
  for (const char* var : {"SLURM_ARRAY_JOB_ID", "SLURM_ARRAY_TASK_ID", "SLURMD_NODENAME"})
    if (const char* value = std::getenv(var)) done["slurm"][var] = value;
  write_json_file_atomic(marker.string(), done);
  std::cerr << fmt::format("run-unit: unit {} done in {:.1f} s ({})\n", index, wall, marker.string());
  return 0;
}

}  // namespace harness
