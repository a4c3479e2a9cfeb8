#include "tools/slurm_script.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "runtime/error.h"

namespace harness {

std::string slurm_array_spec(std::vector<size_t> indices) {
  std::sort(indices.begin(), indices.end());
  indices.erase(std::unique(indices.begin(), indices.end()), indices.end());
  std::string spec;
  for (size_t i = 0; i < indices.size();) {
    size_t j = i;
    while (j + 1 < indices.size() && indices[j + 1] == indices[j] + 1) ++j;
    if (!spec.empty()) spec += ",";
    spec += std::to_string(indices[i]);
    if (j > i) spec += fmt::format("-{}", indices[j]);
    i = j + 1;
  }
  return spec;
}

std::string shell_quote(const std::string& word) {
  bool safe = !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::string("/._-+=:,@%").find(c) != std::string::npos;
  });
  if (safe) return word;
  std::string quoted = "'";
  for (char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

namespace {

// An "#SBATCH --name=value" line; Slurm reads these without a shell, so the value must be one plain word.
std::string sbatch_line(const std::string& name, const std::string& value) {
  if (value.find_first_of(" \t\r\n'\"\\") != std::string::npos)
    fail("Slurm option --{}: '{}' holds whitespace, a quote or a backslash, which an #SBATCH line cannot carry",
         name, value);
  return fmt::format("#SBATCH --{}={}\n", name, value);
}

}  // namespace

std::string slurm_script(const slurm_job& job) {
  if (job.indices.empty()) fail("a Slurm job array needs at least one task");
  if (job.command.empty()) fail("a Slurm job array needs a command for its tasks");
  std::string text = "#!/bin/bash\n";
  if (!job.comment.empty()) text += fmt::format("# {}\n", job.comment);
  text += sbatch_line("job-name", job.name);
  text += sbatch_line("array", slurm_array_spec(job.indices));
  text += sbatch_line("output", job.log_pattern);
  text += sbatch_line("chdir", job.work_dir);
  if (!job.partition.empty()) text += sbatch_line("partition", job.partition);
  if (!job.account.empty()) text += sbatch_line("account", job.account);
  if (!job.time.empty()) text += sbatch_line("time", job.time);
  if (!job.mem.empty()) text += sbatch_line("mem", job.mem);
  if (job.cpus > 0) text += sbatch_line("cpus-per-task", std::to_string(job.cpus));
  if (job.gpus > 0) text += sbatch_line("gres", fmt::format("gpu:{}", job.gpus));
  text += "set -eu\n";
  if (job.cpus > 0) text += "# Torch's threads: the task's CPUs.\nexport OMP_NUM_THREADS=\"$SLURM_CPUS_PER_TASK\"\n";
  text += "exec";
  for (const std::string& word : job.command) text += fmt::format(" {}", shell_quote(word));
  text += " \"$SLURM_ARRAY_TASK_ID\"\n";
  return text;
}

}  // namespace harness
