// task_eval.h: runs a task's documents through a model and aggregates lm-eval's metrics.
//   lm-eval mode: requests tokenised with the tokenizer's default BOS; each choice scored by its summed
//                 log-likelihood (acc) and by that sum over the choice's length in characters (acc_norm).
//   dejavu mode:  no BOS; each choice scored by its mean log-likelihood per token (acc); acc_norm as
//                 above, from the summed log-likelihood.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "evals/loglikelihood.h"
#include "evals/task_metrics.h"
#include "evals/tasks.h"

namespace harness {

enum class scoring_mode { lm_eval, dejavu };
scoring_mode parse_scoring_mode(const std::string& name);  // "lm-eval" or "dejavu"
std::string scoring_mode_name(scoring_mode mode);

struct doc_record {
  std::string where;
  int gold = 0;
  size_t pred = 0, pred_norm = 0;  // LAMBADA: pred = 1 when the last word is the greedy continuation
  std::vector<double> logprobs;    // per request, summed over its tokens
  std::vector<int64_t> tokens;     // per request
};

struct task_result {
  std::string task;
  int64_t requests = 0, rows = 0;              // rows: distinct forward inputs after sharing
  int64_t shared_prefixes = 0;                 // contexts run once for several rows (scoring_options)
  int64_t continuations_alone = 0;             // requests whose continuation was tokenised on its own
  std::map<std::string, mean_se> metrics;      // "acc", "acc_norm"; LAMBADA "acc", "perplexity"
  std::map<std::string, mean_se> acc_by_subject;  // MMLU
  std::vector<doc_record> docs;
};

// The documents' requests in order, tokenised as `mode` scores them.
std::vector<token_request> encode_task_requests(const tokenizer& tok, const std::vector<task_doc>& docs, scoring_mode mode);

// Batching, prefix sharing, sparse masks and progress as `options` say (evals/loglikelihood.h).
task_result evaluate_task(causal_lm& model, const tokenizer& tok, const task_spec& task, const std::vector<task_doc>& docs,
                          scoring_mode mode, const scoring_options& options);

// Aggregation alone (tested on hand-made scores): metrics from per-request scores in document order.
task_result aggregate_task(const task_spec& task, const std::vector<task_doc>& docs, const std::vector<ll_score>& scores,
                           scoring_mode mode);

}  // namespace harness
