// The Slurm job-array script of a sweep (tools/slurm_script.h): the array of unfinished units, the
// resources asked for, the task's command, and values an #SBATCH line cannot carry.
#include <catch2/catch.hpp>

#include "runtime/error.h"
#include "tools/slurm_script.h"

namespace harness {

CATCH_TEST_CASE("the Slurm array spec writes runs of consecutive units as ranges", "[slurm]") {
  CATCH_CHECK(slurm_array_spec({5, 0, 1, 2, 3, 7, 8}) == "0-3,5,7-8");
  CATCH_CHECK(slurm_array_spec({4}) == "4");
  CATCH_CHECK(slurm_array_spec({2, 2, 3}) == "2-3");
  CATCH_CHECK(slurm_array_spec({}) == "");
}

CATCH_TEST_CASE("shell_quote for the Slurm script leaves plain words and single-quotes the rest", "[slurm]") {
  CATCH_CHECK(shell_quote("/a/b-c_d.json") == "/a/b-c_d.json");
  CATCH_CHECK(shell_quote("--out=x,y") == "--out=x,y");
  CATCH_CHECK(shell_quote("a b") == "'a b'");
  CATCH_CHECK(shell_quote("it's") == "'it'\\''s'");
  CATCH_CHECK(shell_quote("$HOME") == "'$HOME'");
  CATCH_CHECK(shell_quote("") == "''");
}

CATCH_TEST_CASE("the Slurm script asks for the array and resources and runs the unit of its task", "[slurm]") {
  slurm_job job;
  job.name = "harness-paper";
  job.comment = "a sweep";
  job.indices = {0, 1, 2, 5};
  job.log_pattern = "/s/logs/%A_%a.out";
  job.work_dir = "/src";
  job.command = {"/b/harness", "run-unit", "/s"};
  CATCH_CHECK(slurm_script(job) ==
              "#!/bin/bash\n"
              "# a sweep\n"
              "#SBATCH --job-name=harness-paper\n"
              "#SBATCH --array=0-2,5\n"
              "#SBATCH --output=/s/logs/%A_%a.out\n"
              "#SBATCH --chdir=/src\n"
              "set -eu\n"
              "exec /b/harness run-unit /s \"$SLURM_ARRAY_TASK_ID\"\n");
  job.partition = "gpu";
  job.account = "lab";
  job.time = "04:00:00";
  job.mem = "64G";
  job.cpus = 8;
  job.gpus = 1;
  job.comment = "";
  CATCH_CHECK(slurm_script(job) ==
              "#!/bin/bash\n"
              "#SBATCH --job-name=harness-paper\n"
              "#SBATCH --array=0-2,5\n"
              "#SBATCH --output=/s/logs/%A_%a.out\n"
              "#SBATCH --chdir=/src\n"
              "#SBATCH --partition=gpu\n"
              "#SBATCH --account=lab\n"
              "#SBATCH --time=04:00:00\n"
              "#SBATCH --mem=64G\n"
              "#SBATCH --cpus-per-task=8\n"
              "#SBATCH --gres=gpu:1\n"
              "set -eu\n"
              "# Torch's threads: the task's CPUs.\n"
              "export OMP_NUM_THREADS=\"$SLURM_CPUS_PER_TASK\"\n"
              "exec /b/harness run-unit /s \"$SLURM_ARRAY_TASK_ID\"\n");
}

CATCH_TEST_CASE("the Slurm script refuses values an SBATCH line cannot carry and an empty array", "[slurm]") {
  slurm_job job;
  job.name = "n";
  job.indices = {0};
  job.log_pattern = "/s/logs/%A_%a.out";
  job.work_dir = "/my src";
  job.command = {"h"};
  CATCH_CHECK_THROWS_WITH(slurm_script(job), Catch::StartsWith("Slurm option --chdir: '/my src' holds whitespace"));
  job.work_dir = "/src";
  job.indices.clear();
  CATCH_CHECK_THROWS_WITH(slurm_script(job), "a Slurm job array needs at least one task");
}

}  // namespace harness
