// task_suite.h: what the zero_shot and few_shot cases share: their options and the run that scores a
// list of tasks (evals/tasks.h) with one model and writes one result.
#pragma once
#include <string>
#include <vector>

#include "experiments/registry.h"

namespace harness {

std::vector<case_option> task_suite_options(const std::vector<std::string>& default_tasks);
void run_task_suite(const std::string& case_name, const case_args& args);

}  // namespace harness
