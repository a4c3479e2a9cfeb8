// zero_shot: the zero-shot multiple-choice suite (BoolQ, WinoGrande, RTE, ARC-e/c, HellaSwag,
// OpenBookQA, PIQA, LAMBADA) scored as lm-evaluation-harness scores it (evals/tasks.h).
#include "evals/tasks.h"
#include "experiments/cases/cases.h"
#include "experiments/cases/task_suite.h"

namespace harness {

experiment_case zero_shot_case() {
  return {"zero_shot",
          1,
          "zero-shot accuracy tables (dense and sparse models)",
          "zero-shot multiple-choice and LAMBADA accuracy, lm-eval conventions",
          task_suite_options(zero_shot_suite()),
          [](const case_args& args) { run_task_suite("zero_shot", args); }};
}

}  // namespace harness
