#include "experiments/cases/task_suite.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>

#include <fmt/ranges.h>

#include "evals/task_eval.h"
#include "experiments/progress.h"
#include "experiments/result.h"
#include "experiments/work_dir.h"
#include "runtime/device.h"
#include "runtime/placement.h"
#include "runtime/error.h"
#include "runtime/json_file.h"

namespace harness {

namespace {

nlohmann::json to_json(const mean_se& m) { return {{"value", m.mean}, {"stderr", m.se}}; }

nlohmann::json task_json(const task_spec& spec, int shots, const task_result& r) {
  nlohmann::json j;
  j["follows"] = spec.follows;
  j["follows_version"] = spec.version;
  j["shots"] = shots;
  if (shots > 0) j["fewshot_sampler"] = fewshot_sampler_description(spec);
  j["prompt"] = spec.prompt;
  j["docs"] = r.docs.size();
  j["requests"] = r.requests;
  j["forward_rows"] = r.rows;
  j["shared_prefixes"] = r.shared_prefixes;
  j["continuations_tokenised_alone"] = r.continuations_alone;
  for (const auto& [name, m] : r.metrics) j[name] = to_json(m);
  for (const auto& [subject, m] : r.acc_by_subject) j["acc_by_subject"][subject] = to_json(m);
  nlohmann::json samples = nlohmann::json::array();
  for (const doc_record& d : r.docs)
    samples.push_back({{"where", d.where}, {"gold", d.gold}, {"pred", d.pred}, {"pred_norm", d.pred_norm},
                       {"logprobs", d.logprobs}, {"tokens", d.tokens}});
  j["samples"] = samples;
  return j;
}

}  // namespace

std::vector<case_option> task_suite_options(const std::vector<std::string>& default_tasks) {
  std::string known;
  for (const task_spec& t : all_tasks()) known += (known.empty() ? "" : ", ") + t.name;
  return {{"model", "data/models/tinystories-656k", "Hugging Face model directory"},
          {"tokenizer", "", "tokenizer.json or a directory with one (default: the model directory)"},
          {"data", "data/eval", "data directory laid out as ../shared/data/eval (the shipped slices by default)"},
          {"tasks", fmt::format("{}", fmt::join(default_tasks, ",")), "comma-separated tasks: " + known},
          {"shots", "-1", "few-shot examples per prompt (-1: each task's default; MMLU 5, others 0)"},
          {"limit", "0", "score at most this many documents per task (MMLU: per subject; > 0 marks the result INVALID)"},
          {"mode", "lm-eval", "lm-eval (tokenizer's BOS, summed log-likelihood) or dejavu (no BOS, mean per token)"},
          {"batch", "8", "forward rows per batch"},
          {"share-prefixes", "true", "true: rows that start alike (a context and its choices; a few-shot prompt head) run that start once, continuing its KV cache"},
          {"device", "cpu", "cpu, cuda or cuda:N"},
          {"devices", "", "layers split across these devices: cuda:0,cuda:1,... (cuda: every GPU); overrides --device"},
          {"dtype", "f32", "f32 or bf16"},
          {"work", "runs", "where finished tasks (units) are kept"},
          {"resume", "false", "true: reuse the finished tasks of an interrupted run with the same configuration"},
          {"out", "results", "results directory"}};
}

void run_task_suite(const std::string& case_name, const case_args& args) {
  using clock = std::chrono::steady_clock;
  const std::string& model_dir = args.get("model");
  const std::string& data_dir = args.get("data");
  std::vector<at::Device> devices = model_devices(args.get("device"), args.get("devices"));
  scoring_mode mode = parse_scoring_mode(args.get("mode"));
  int64_t limit = args.get_int("limit");
  scoring_options scoring;
  scoring.batch = args.get_int("batch");
  scoring.share_prefixes = args.get_bool("share-prefixes");
  int shots = static_cast<int>(args.get_int("shots"));
  std::vector<std::string> names = args.get_list("tasks");
  if (names.empty()) fail("{}: --tasks names no task", case_name);
  std::vector<const task_spec*> specs;
  for (const std::string& name : names) specs.push_back(&find_task(name));  // unknown names fail before loading
  args.get_bool("resume");                                                    // so does a bad --resume

  tokenizer tok = load_tokenizer(args.get("tokenizer").empty() ? model_dir : args.get("tokenizer"));
  auto model = load_model(model_dir, parse_dtype(args.get("dtype")), devices);

  result_document doc(find_case(case_name), args);
  doc.add_model_inputs(model_dir);
  doc.add_input_files("tokenizer", tok.files());
  doc.set_environment(describe_environment(model->placement()));
  doc.metrics()["mode"] = scoring_mode_name(mode);
  // Each task is one unit: finished tasks are kept under --work, and --resume true reuses them.
  std::string work = work_dir_for(args, case_name, model_dir);
  prepare_work_dir(work, args);
  for (const task_spec* spec : specs) {
    int task_shots = shots < 0 ? spec->default_shots : shots;
    std::filesystem::path unit = std::filesystem::path(work) / "tasks" / (spec->name + ".json");
    nlohmann::json done;
    if (std::filesystem::exists(unit)) {
      done = read_json_file(unit.string());
      std::cout << fmt::format("{}: reusing the finished task {} ({})\n", case_name, spec->name, unit.string());
    } else {
      auto t0 = clock::now();
      std::vector<task_doc> docs = build_task_docs(*spec, data_dir, task_shots, limit);
      scoring.on_rows = progress_printer(case_name + ": " + spec->name, "rows");
      task_result r = evaluate_task(*model, tok, *spec, docs, mode, scoring);
      double seconds = std::chrono::duration<double>(clock::now() - t0).count();
      std::string line = fmt::format("{} ({}-shot, {} docs):", spec->name, task_shots, docs.size());
      for (const auto& [name, m] : r.metrics) line += fmt::format(" {} {:.4f} +/- {:.4f}", name, m.mean, m.se);
      std::cout << line << fmt::format(" [{:.1f} s]\n", seconds);
      done = {{"metrics", task_json(*spec, task_shots, r)}, {"seconds", seconds}};
      write_json_file_atomic(unit.string(), done);
    }
    doc.metrics()["tasks"][spec->name] = done["metrics"];
    doc.add_timing(spec->name, done["seconds"].get<double>());
    doc.add_input_files("data:" + spec->name, task_input_files(*spec, data_dir, task_shots));
    if (shuffles_choices(*spec)) doc.set_seed("gpqa_choice_shuffle", gpqa_shuffle_seed);
  }
  if (limit > 0) doc.mark_invalid(fmt::format("--limit {} scored only part of each task", limit));
  std::cout << "result: " << doc.write_for_model(args.get("out"), model_dir) << "\n";
}

}  // namespace harness
