// few_shot: the few-shot suite (MMLU 5-shot, GPQA Diamond, MedMCQA) scored as lm-evaluation-harness
// scores it (evals/tasks.h).
#include "evals/tasks.h"
#include "experiments/cases/cases.h"
#include "experiments/cases/task_suite.h"

namespace harness {

experiment_case few_shot_case() {
  return {"few_shot",
          1,
          "few-shot accuracy tables (MMLU, GPQA, MedMCQA)",
          "MMLU 5-shot, GPQA Diamond (n_shot prompt) and MedMCQA accuracy, lm-eval conventions",
          task_suite_options(few_shot_suite()),
          [](const case_args& args) { run_task_suite("few_shot", args); }};
}

}  // namespace harness
