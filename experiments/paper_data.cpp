#include "experiments/paper_data.h"

#include <filesystem>
#include <iostream>
#include <map>
#include <tuple>

#include <fmt/format.h>

#include "evals/documents.h"
#include "evals/tasks.h"
#include "experiments/registry.h"
#include "experiments/task_workload.h"
#include "runtime/error.h"

namespace harness {

namespace {

using nlohmann::json;

// Tokens of the perplexity texts as the DejaVu sweep reads them (.jsonl documents joined by blank lines).
int64_t text_tokens(const tokenizer& tok, const std::vector<std::string>& paths) {
  int64_t n = 0;
  for (const std::string& path : paths) n += static_cast<int64_t>(tok.encode(read_joined_documents(path), /*add_bos=*/false).size());
  return n;
}

// How a case's paper run scores its tasks, read from the case's own options (its paper preset where it
// has one): which tasks, with how many shots, in which mode, how many rows per forward.
struct suite_run {
  std::vector<std::string> tasks;
  int shots = 0;
  scoring_mode mode = scoring_mode::lm_eval;
  int64_t batch = 0;
};

suite_run paper_suite_run(const std::string& case_name) {
  const experiment_case& c = find_case(case_name);
  case_args a = resolve_args(c, c.presets.count("paper") ? std::map<std::string, std::string>{{"preset", "paper"}}
                                                         : std::map<std::string, std::string>{});
  const bool dejavu = a.all().count("task-mode") > 0;  // the DejaVu cases score zero-shot tasks at each level
  return {a.get_list("tasks"), dejavu ? 0 : static_cast<int>(a.get_int("shots")),
          parse_scoring_mode(a.get(dejavu ? "task-mode" : "mode")), a.get_int("batch")};
}

// The paper's task suites under one tokenizer, tokenised once for every model that uses it.
struct paper_suites {
  suite_run zero_shot_run, few_shot_run, dejavu_run;
  encoded_suite zero_shot, few_shot, dejavu;
};

paper_suites encode_paper_suites(const tokenizer& tok, const std::string& task_data, const std::string& dejavu_case) {
  paper_suites p{paper_suite_run("zero_shot"), paper_suite_run("few_shot"), paper_suite_run(dejavu_case), {}, {}, {}};
  for (auto [run, suite] : {std::pair{&p.zero_shot_run, &p.zero_shot}, {&p.few_shot_run, &p.few_shot}, {&p.dejavu_run, &p.dejavu}})
    *suite = encode_suite(tok, task_data, run->tasks, run->shots, run->mode);
  return p;
}

// The paper's data as the paper presets run it on a model of config `c`.
paper_data data_for(const model_config& c, int64_t eval_tokens, const paper_suites& p) {
  const int64_t positions = c.max_position_embeddings;
  auto plan = [&](const encoded_suite& suite, const suite_run& run) { return plan_suite(suite, run.tasks, positions, run.batch); };
  return {eval_tokens, plan(p.zero_shot, p.zero_shot_run), plan(p.few_shot, p.few_shot_run), plan(p.dejavu, p.dejavu_run)};
}

}  // namespace

std::vector<paper_data> paper_workloads(const std::vector<model_config>& configs, const tokenizer& llama_tok,
                                        const tokenizer& opt_tok, const std::vector<std::string>& eval_data,
                                        const std::string& task_data, result_document& doc) {
  if (!std::filesystem::is_directory(task_data))
    fail("{}: the task data directory does not exist (laid out as ../shared/data/eval)", task_data);
  const int64_t llama_eval_tokens = text_tokens(llama_tok, eval_data), opt_eval_tokens = text_tokens(opt_tok, eval_data);
  doc.add_input_files("eval_data", eval_data);
  doc.metrics()["eval_tokens"] = {{"llama", llama_eval_tokens}, {"opt", opt_eval_tokens}};
  std::cerr << "scale_check: tokenising the paper's task suites from " << task_data << " (Llama, then OPT tokenizer)\n";
  const paper_suites llama_suites = encode_paper_suites(llama_tok, task_data, "llama_sparse"),
                     opt_suites = encode_paper_suites(opt_tok, task_data, "opt_baseline");
  // The task data each suite read (the Llama tokenizer's encodings; the OPT ones read the same files).
  json missing = json::object();
  for (const auto& [label, run, suite] :
       {std::tuple{"zero_shot", &llama_suites.zero_shot_run, &llama_suites.zero_shot},
        {"few_shot", &llama_suites.few_shot_run, &llama_suites.few_shot}, {"dejavu", &llama_suites.dejavu_run, &llama_suites.dejavu}}) {
    for (const encoded_task& t : suite->tasks) {
      const task_spec& spec = find_task(t.name);
      doc.add_input_files(fmt::format("task_data:{}:{}", label, t.name),
                          task_input_files(spec, task_data, run->shots < 0 ? spec.default_shots : run->shots));
    }
    missing[label] = suite->missing;
  }
  doc.metrics()["task_data"] = {{"dir", task_data}, {"missing", missing}};
  std::vector<paper_data> data;
  for (const model_config& c : configs)
    data.push_back(c.arch == model_arch::llama ? data_for(c, llama_eval_tokens, llama_suites) : data_for(c, opt_eval_tokens, opt_suites));
  return data;
}

}  // namespace harness
