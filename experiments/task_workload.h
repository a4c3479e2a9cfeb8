// task_workload.h: what a task suite's paper run computes, found without a model: each task's documents
// built and tokenised as the task cases build them (evals/task_eval.h), then planned as score_requests
// plans them (evals/loglikelihood.h) for a model's positions and batch. scale_check turns the count into
// FLOPs to project the suite's time on a GPU.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "evals/loglikelihood.h"
#include "evals/task_eval.h"
#include "runtime/tokenizer.h"

namespace harness {

struct encoded_task {
  std::string name;
  std::vector<token_request> requests;
  int64_t docs = 0;
};

struct encoded_suite {
  std::vector<encoded_task> tasks;
  std::vector<std::string> missing;  // tasks with no data under the directory
};

// `shots` as the task cases take it (-1: each task's default). Progress goes to stderr.
encoded_suite encode_suite(const tokenizer& tok, const std::string& data_dir, const std::vector<std::string>& tasks, int shots,
                           scoring_mode mode);

// Some tasks of a suite under one model: their forward passes summed, each task planned on its own as the
// cases run them; the named tasks whose data was missing (not counted).
struct suite_workload {
  scoring_work work;
  int64_t docs = 0;
  std::vector<std::string> missing;
};

// `names`: tasks of `suite` (encoded or missing); `max_length`: the model's positions.
suite_workload plan_suite(const encoded_suite& suite, const std::vector<std::string>& names, int64_t max_length, int64_t batch);

}  // namespace harness
