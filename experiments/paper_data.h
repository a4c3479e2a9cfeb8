// paper_data.h: the paper's data as the paper presets read it, under each model: the tokens of the
// perplexity texts, and the forward passes of the task suites that zero_shot, few_shot and the DejaVu
// sweep score (which tasks, shots, mode and batch: read from those cases' own options and paper preset).
// scale_check projects the paper's GPU time from it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "experiments/result.h"
#include "experiments/task_workload.h"
#include "runtime/model_config.h"
#include "runtime/tokenizer.h"

namespace harness {

// The paper's data under one model: tokens of the perplexity texts (WikiText-2 test, C4 slice) and the
// task suites of zero_shot, few_shot and the DejaVu sweep (scored at every sparsity level).
struct paper_data {
  int64_t eval_tokens = 0;
  suite_workload zero_shot, few_shot, dejavu_tasks;
};

// For each config in order (Llama configs under llama_tok, OPT ones under opt_tok): the texts' tokens,
// and the suites, each tokenised once per tokenizer and planned for the config. Records in `doc` the files
// it read, the token counts and the tasks left out for want of data.
std::vector<paper_data> paper_workloads(const std::vector<model_config>& configs, const tokenizer& llama_tok,
                                        const tokenizer& opt_tok, const std::vector<std::string>& eval_data,
                                        const std::string& task_data, result_document& doc);

}  // namespace harness
