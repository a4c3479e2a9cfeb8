// slurm_script.h: the text of the Slurm batch script that runs a sweep as a job array, one array task
// per unit. Everything the job needs is in the script (#SBATCH lines), so `sbatch job.sbatch` by hand
// submits the same job as `harness submit` does.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

namespace harness {

struct slurm_job {
  std::string name;                 // --job-name
  std::string comment;              // a line at the top of the script saying what it is
  std::vector<size_t> indices;      // the array's task ids: the units still to run
  std::string log_pattern;          // --output, e.g. <dir>/logs/%A_%a.out (job id, task id)
  std::string work_dir;             // --chdir: where the tasks start
  std::vector<std::string> command; // what a task runs; its array task id is appended
  // Resources per task; empty or 0: the cluster's default.
  std::string partition, account, time, mem;
  int cpus = 0, gpus = 0;
};

// The array's task ids as Slurm writes them: ascending, runs of consecutive ids as ranges ("0-3,5,7-8").
std::string slurm_array_spec(std::vector<size_t> indices);

// `word` quoted for bash: as it is when it holds only safe characters, else in single quotes.
std::string shell_quote(const std::string& word);

// The batch script. Fails when the job has no indices, or a value cannot stand in an #SBATCH line
// (whitespace, quotes, a line break).
std::string slurm_script(const slurm_job& job);

}  // namespace harness
