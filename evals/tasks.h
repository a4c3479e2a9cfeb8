// tasks.h: the zero-/few-shot tasks as data, following lm-evaluation-harness (the task each one
// follows and that task's version are recorded): data files, prompt template, choices, metrics.
// build_task_docs turns a data set into (context, continuation) log-likelihood requests exactly as
// lm-eval builds them: description + few-shot examples ("<prompt> <answer>\n\n" each) + prompt,
// and the continuation " " + choice.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace harness {

// How a document is scored.
enum class task_kind {
  multiple_choice,  // one request per choice: (prompt, " " + choice); acc (and acc_norm)
  partial,          // WinoGrande: one request per choice: (sentence up to "_" with the option, " " + rest)
  last_word,        // LAMBADA: one request (passage, " " + last word); acc = greedy match, perplexity
};

struct task_spec {
  std::string name;        // harness name, e.g. "arc_easy"
  std::string follows;     // the lm-eval task followed, e.g. "sglue_rte" ...
  std::string version;     // ... and its metadata version
  task_kind kind = task_kind::multiple_choice;
  std::string reader;      // which evals/data.h reader
  std::vector<std::string> files;  // relative to the data directory
  // doc_to_text; fields {passage}, {question} and {A}..{D} (the item's choices in order).
  std::string prompt;
  std::vector<std::string> choices;  // doc_to_choice when fixed (e.g. " A" is scored for "A"); empty: the item's
  std::string description;           // before the few-shot examples; "{subject}" is the MMLU subject, spaced
  std::vector<std::string> metrics;  // "acc", "acc_norm", "perplexity"
  int default_shots = 0;
  std::string fewshot_files;         // MMLU: "mmlu" (dev split, first n of the subject); empty: examples are
                                     // drawn from the evaluated split (lm-eval's default sampler, seed 1234)
};

const std::vector<task_spec>& all_tasks();
const task_spec& find_task(std::string_view name);
// The zero-shot and few-shot suites of the issue.
std::vector<std::string> zero_shot_suite();
std::vector<std::string> few_shot_suite();

struct ll_request {
  std::string context;       // never empty
  std::string continuation;  // starts with the target delimiter " "
};

struct task_doc {
  std::string where;                  // "file:line" of the item
  std::vector<ll_request> requests;   // one per choice (LAMBADA: one)
  std::vector<std::string> choices;   // lm-eval's doc_to_choice: their lengths normalise acc_norm
  int gold = 0;
  std::string subject;                // MMLU subject; empty elsewhere
};

// Documents of a task from `data_dir`, with `shots` few-shot examples (-1: the task's default),
// at most `limit` per task (MMLU: per subject, as lm-eval limits each subtask; 0 = all).
std::vector<task_doc> build_task_docs(const task_spec& task, const std::string& data_dir, int shots, int64_t limit);
// The files a task reads from data_dir (to hash into results): folders (MMLU's splits) stand for every
// file in them, sorted.
std::vector<std::string> task_input_files(const task_spec& task, const std::string& data_dir, int shots);

// Where a task's few-shot examples come from, for results: MMLU's first_n of dev, or lm-eval's default
// sampler over the evaluated split (which departs from lm-eval where the task has a training split).
std::string fewshot_sampler_description(const task_spec& task);

// Whether the task shuffles each item's choices with gpqa_shuffle_seed (GPQA).
bool shuffles_choices(const task_spec& task);

// Text preprocessing of lm-eval's HellaSwag (strip, " [title]" -> ". ", drop "[...]", "  " -> " ").
std::string hellaswag_preprocess(const std::string& text);

// lm-eval's fixed seeds: GPQA's answer-choice shuffle, and the few-shot sampler (--seed's fourth part).
constexpr uint64_t gpqa_shuffle_seed = 42;
constexpr uint64_t fewshot_seed = 1234;

}  // namespace harness
