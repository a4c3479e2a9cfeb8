// submit_command.h: sweeps on a cluster through Slurm. `harness submit` expands a sweep file into units
// (tools/sweep.h), writes them and a job-array script into the sweep folder and submits it with sbatch
// (without sbatch, or with --dry-run, it prints the commands; with --local it runs the units here, one
// after another). Every unit runs through `harness run-unit DIR I`, which runs `harness run` in-process
// and marks the unit done; units already done are not submitted again.
//
// The sweep folder:
//   units.json      the expanded units: each one's exact `harness` words, and where to run them
//   job.sbatch      the job array of the last submission (its --array: the units then unfinished)
//   logs/%A_%a.out  each array task's output (job id, unit index)
//   done/I.json     written atomically when unit I has succeeded: wall time, result files
//   work/I/         a resumable case's finished work (its --work), so a unit run again resumes
//   submissions.log one line per sbatch submission: time, job id, array
#pragma once
#include <string>
#include <vector>

namespace harness {

int submit_command(const std::vector<std::string>& words);
int run_unit_command(const std::vector<std::string>& words);

}  // namespace harness
