#include "evals/task_eval.h"

#include <cmath>

#include "runtime/error.h"

namespace harness {

scoring_mode parse_scoring_mode(const std::string& name) {
  if (name == "lm-eval") return scoring_mode::lm_eval;
  if (name == "dejavu") return scoring_mode::dejavu;
  fail("scoring mode '{}' is unknown (lm-eval, dejavu)", name);
}

std::string scoring_mode_name(scoring_mode mode) { return mode == scoring_mode::lm_eval ? "lm-eval" : "dejavu"; }

task_result aggregate_task(const task_spec& task, const std::vector<task_doc>& docs, const std::vector<ll_score>& scores,
                           scoring_mode mode) {
  task_result r;
  r.task = task.name;
  std::vector<double> acc, acc_norm, lambada_ll;
  std::map<std::string, std::vector<double>> by_subject;
  size_t next = 0;
  for (const task_doc& doc : docs) {
    if (next + doc.requests.size() > scores.size()) fail("task {}: fewer scores than requests", task.name);
    doc_record rec{doc.where, doc.gold, 0, 0, {}, {}};
    std::vector<double> ranked;  // what acc compares
    bool all_greedy = true;
    for (size_t i = 0; i < doc.requests.size(); ++i) {
      const ll_score& s = scores[next++];
      rec.logprobs.push_back(s.logprob);
      rec.tokens.push_back(s.tokens);
      ranked.push_back(mode == scoring_mode::dejavu ? s.logprob / static_cast<double>(s.tokens) : s.logprob);
      all_greedy = all_greedy && s.greedy;
    }
    r.requests += static_cast<int64_t>(doc.requests.size());
    if (task.kind == task_kind::last_word) {
      rec.pred = all_greedy;
      acc.push_back(all_greedy ? 1.0 : 0.0);
      lambada_ll.push_back(rec.logprobs[0]);
    } else {
      choice_outcome o = score_choices(ranked, doc.choices, doc.gold);
      // acc_norm always normalises the summed log-likelihood by characters, as lm-eval does.
      choice_outcome summed = score_choices(rec.logprobs, doc.choices, doc.gold);
      rec.pred = o.pred;
      rec.pred_norm = summed.pred_norm;
      acc.push_back(o.acc);
      acc_norm.push_back(summed.acc_norm);
      if (!doc.subject.empty()) by_subject[doc.subject].push_back(o.acc);
    }
    r.docs.push_back(std::move(rec));
  }
  if (next != scores.size()) fail("task {}: {} scores for {} requests", task.name, scores.size(), next);
  for (const std::string& metric : task.metrics) {
    if (metric == "acc") {
      r.metrics["acc"] = mean_with_stderr(acc);
    } else if (metric == "acc_norm") {
      r.metrics["acc_norm"] = mean_with_stderr(acc_norm);
    } else if (metric == "perplexity") {
      // lm-eval: exp(-mean log-likelihood); its standard error by the delta method.
      mean_se ll = mean_with_stderr(lambada_ll);
      double ppl = std::exp(-ll.mean);
      r.metrics["perplexity"] = {ppl, ppl * ll.se};
    } else {
      fail("task {}: unknown metric '{}'", task.name, metric);
    }
  }
  for (const auto& [subject, values] : by_subject) r.acc_by_subject[subject] = mean_with_stderr(values);
  return r;
}

std::vector<token_request> encode_task_requests(const tokenizer& tok, const std::vector<task_doc>& docs, scoring_mode mode) {
  bool add_bos = mode == scoring_mode::lm_eval && tok.adds_bos_by_default();
  std::vector<token_request> requests;
  for (const task_doc& doc : docs)
    for (const ll_request& request : doc.requests) requests.push_back(encode_request(tok, request, add_bos));
  return requests;
}

task_result evaluate_task(causal_lm& model, const tokenizer& tok, const task_spec& task, const std::vector<task_doc>& docs,
                          scoring_mode mode, const scoring_options& options) {
  std::vector<token_request> requests = encode_task_requests(tok, docs, mode);
  scored_requests scored = score_requests(model, requests, options);
  task_result r = aggregate_task(task, docs, scored.scores, mode);
  r.rows = scored.rows;
  r.shared_prefixes = scored.shared_prefixes;
  for (const token_request& request : requests) r.continuations_alone += request.continuation_alone;
  return r;
}

}  // namespace harness
