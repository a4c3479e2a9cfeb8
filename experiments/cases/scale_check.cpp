// scale_check: before anyone rents a GPU, show that the paper presets fit. For each model it writes a
// random-weight checkpoint with the exact config of a paper model (sharded as the Hub's copy), runs every
// case of the paper on it for a few hundred tokens, on CPU (or, with --device cuda, on a GPU) -- each in
// its own process, measuring wall time, peak resident memory (on a GPU also the peak bytes libtorch's
// CUDA allocator held, from the result the case writes) and the disk it writes -- then projects each
// paper preset onto a named GPU: memory (the bf16 weights plus the estimated working set, whose estimate
// is set beside what the run measured), disk, and time from FLOPs at an assumed utilisation: of the
// windows the cases run, and of the forward passes that score the paper's task data as the task cases
// plan them. Projections are estimates and are labelled so.
#include <malloc.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include <fmt/format.h>

#include "experiments/cases/cases.h"
#include "experiments/measure.h"
#include "experiments/paper_data.h"
#include "experiments/paper_models.h"
#include "experiments/progress.h"
#include "experiments/result.h"
#include "experiments/scale_estimate.h"
#include "experiments/scale_stages.h"
#include "runtime/device.h"
#include "runtime/error.h"
#include "runtime/json_file.h"
#include "runtime/synthetic_checkpoint.h"
#include "runtime/tokenizer.h"

namespace harness {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

uint64_t tree_bytes(const fs::path& dir) {
  uint64_t bytes = 0;
  if (!fs::exists(dir)) return 0;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) bytes += e.file_size();
  return bytes;
}

double gib(uint64_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024 * 1024); }

// The model to stand in for: a paper model's name, or a config.json path (named by its parent folder).
struct stand_in {
  std::string name;
  json config;
  int shards = 1;
};

stand_in resolve_stand_in(const std::string& entry, int64_t shards) {
  stand_in s;
  if (entry.size() > 5 && entry.substr(entry.size() - 5) == ".json") {
    s.config = read_json_file(entry);
    s.name = fs::absolute(entry).parent_path().filename().string();
    s.shards = 1;
  } else {
    const paper_model& m = find_paper_model(entry);
    s = {m.name, m.config, m.shards};
  }
  if (shards > 0) s.shards = static_cast<int>(shards);
  return s;
}

struct gpu_assumption {
  std::string name;
  double memory_gib, tflops, utilisation;
};

// What a stage keeps beside the model for its whole run, with the model's elements of `elem_bytes`.
uint64_t resident_bytes(const scale_stage& s, int64_t elem_bytes) {
  return 4 * s.resident_f32_elements + static_cast<uint64_t>(elem_bytes) * s.resident_model_elements;
}

// The paper preset of one stage on the GPU: memory, disk and time (estimates).
json project(const model_config& c, const scale_stage& s, const gpu_assumption& gpu, uint64_t checkpoint_bf16) {
  uint64_t weights = parameter_count(c) * 2;  // bf16
  uint64_t memory = weights + forward_working_bytes(c, s.paper, 2) + resident_bytes(s, 2);
  json p = {{"case", s.case_name},
            {"batch", s.paper.batch},
            {"seqlen", s.paper.seqlen},
            {"gpu_memory_bytes_estimated", memory},
            {"fits", gib(memory) <= gpu.memory_gib},
            {"disk_bytes_estimated", checkpoint_bf16 + s.paper_disk_bytes},
            {"note", s.projection_note}};
  const scoring_work& scoring = s.paper_scoring;
  if (s.paper_forward_tokens > 0 || scoring.positions > 0) {
    double flops = s.paper_forward_tokens * forward_flops_per_token(c, s.paper_context) +
                   forward_flops(c, scoring.positions, scoring.keys, scoring.logit_positions) + s.paper_other_flops;
    if (scoring.positions > 0)
      p["task_scoring"] = {{"positions", scoring.positions}, {"keys", scoring.keys}, {"logit_positions", scoring.logit_positions},
                           {"forward_passes", scoring.forwards}};
    p["flops"] = flops;
    p["gpu_hours_estimated"] = flops / (gpu.tflops * 1e12 * gpu.utilisation) / 3600;
  } else {
    p["gpu_hours_estimated"] = nullptr;
  }
  return p;
}

// The peak bytes in live tensors on `device` that a case's result (`doc`, read from `path`) records
// (result.h's `resources`).
uint64_t cuda_peak_allocated(const json& doc, const std::string& path, const at::Device& device) {
  const json peaks = doc.contains("resources") ? doc["resources"].value("cuda_memory_peaks", json()) : json();
  const std::string name = fmt::format("cuda:{}", device.has_index() ? device.index() : 0);
  if (peaks.is_array())
    for (const json& p : peaks)
      if (p.value("device", "") == name) return p.at("peak_allocated_bytes").get<uint64_t>();
  fail("{}: records no CUDA memory peak for {} (resources.cuda_memory_peaks)", path, name);
}

// The DejaVu case's timed decode steps, one entry per timed level of its sweep (dejavu.cpp): median step
// time, context and the speedup over the dense level of the same run.
json timed_decode_steps(const json& sweep) {
  json timed = json::array();
  for (const json& level : sweep) {
    const json step = level.value("decode_step_s", json());
    if (!step.is_object()) continue;  // oracle levels are not timed
    timed.push_back({{"masks", level.at("masks")},
                     {"mlp_sparsity", level.at("mlp_sparsity")},
                     {"head_sparsity", level.at("head_sparsity")},
                     {"context", step.at("context")},
                     {"step_s", step.at("value")},
                     {"speedup", level.value("decode_speedup", json())}});
  }
  return timed;
}

std::string result_path_in_log(const std::string& log) {
  std::ifstream in(log);
  std::string found;
  for (std::string line; std::getline(in, line);)
    if (line.rfind("result: ", 0) == 0) found = line.substr(8);
  return found;
}

void run_scale_check(const case_args& args) {
  const fs::path work = fs::absolute(args.get("work"));
  const at::Device device = parse_device(args.get("device"));
  const std::string dtype = args.get("dtype"), out = args.get("out");
  const int64_t tokens = args.get_int("tokens");
  if (tokens < 64) fail("scale_check: --tokens must be at least 64, got {}", tokens);
  const gpu_assumption gpu{args.get("gpu"), args.get_double("gpu-memory-gib"), args.get_double("gpu-tflops"),
                           args.get_double("utilisation")};
  const tokenizer llama_tok = load_tokenizer(args.get("llama-tokenizer"));
  const tokenizer opt_tok = load_tokenizer(args.get("opt-tokenizer"));
  const std::string self = self_executable();
  std::vector<stand_in> stand_ins;
  std::vector<model_config> configs;  // the stand-ins', then every paper model's
  for (const std::string& entry : args.get_list("models")) {
    stand_ins.push_back(resolve_stand_in(entry, args.get_int("shards")));
    configs.push_back(parse_model_config(stand_ins.back().config, entry));
  }
  for (const paper_model& m : paper_models()) configs.push_back(parse_model_config(m.config, m.name));

  result_document doc(find_case("scale_check"), args);
  doc.add_input_files("llama_tokenizer", llama_tok.files());
  doc.add_input_files("opt_tokenizer", opt_tok.files());
  const std::vector<paper_data> data =
      paper_workloads(configs, llama_tok, opt_tok, args.get_list("eval-data"), args.get("task-data"), doc);
  doc.set_environment(describe_environment(device));
  doc.metrics()["working_set_measured_from"] =
      device.is_cuda() ? "peak_allocated_bytes of libtorch's CUDA allocator on " + device.str() : "peak resident memory";
  doc.metrics()["gpu"] = {{"name", gpu.name}, {"memory_gib", gpu.memory_gib}, {"bf16_dense_tflops", gpu.tflops},
                          {"assumed_utilisation", gpu.utilisation}};

  json models = json::array();
  for (size_t k = 0; k < stand_ins.size(); ++k) {
    const stand_in& m = stand_ins[k];
    const model_config& c = configs[k];
    const bool llama = c.arch == model_arch::llama;
    const tokenizer& tok = llama ? llama_tok : opt_tok;
    const fs::path dir = work / m.name, logs = work / "logs" / m.name;
    fs::remove_all(dir);
    fs::create_directories(logs);

    std::cerr << fmt::format("scale_check: {}: writing a random-weight bf16 checkpoint ({:.2f} B parameters, {} shard{}) to {}\n",
                             m.name, parameter_count(c) / 1e9, m.shards, m.shards == 1 ? "" : "s", dir.string());
    reset_peak_rss();
    auto t0 = std::chrono::steady_clock::now();
    (llama ? write_synthetic_llama : write_synthetic_opt)(dir.string(), m.config, at::kBFloat16, 0, m.shards);
    for (const std::string& f : tok.files()) fs::copy_file(f, dir / fs::path(f).filename());
    doc.add_timing(m.name + " checkpoint", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    json checkpoint = {{"shards", m.shards},
                       {"bytes", tree_bytes(dir)},
                       {"write_s", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()},
                       {"peak_rss_bytes", peak_rss_bytes()}};

    std::vector<scale_stage> stages = scale_stages(c, llama ? "llama_sparse" : "opt_baseline", tokens, work.string(), data[k]);
    json measured = json::array(), projected = json::array();
    ::malloc_trim(0);  // hand back what the task encodings and the checkpoint writer freed: the stages fork from here
    const uint64_t parent_rss = rss_bytes();  // no stage's measured peak reads below it (experiments/measure.h)
    uint64_t baseline = 0;
    const int64_t elem = dtype == "bf16" ? 2 : 4;
    auto progress = progress_printer("scale_check: " + m.name, "stages");
    for (size_t i = 0; i < stages.size(); ++i) {
      const scale_stage& s = stages[i];
      std::vector<std::string> argv = {self, "run", s.case_name};
      argv.insert(argv.end(), s.options.begin(), s.options.end());
      for (const auto& [option, value] : std::vector<std::pair<std::string, std::string>>{
               {"--model", dir.string()}, {"--device", device.str()}, {"--dtype", dtype}, {"--out", (work / "results").string()}})
        argv.insert(argv.end(), {option, value});
      std::string log = (logs / (s.case_name + ".log")).string();
      child_measure r = run_measured(argv, log);
      if (r.exit_code != 0) fail("scale_check: {} on {} failed (exit {}); its output is in {}", s.case_name, m.name, r.exit_code, log);
      doc.add_timing(m.name + " " + s.case_name, r.wall_s);
      json stage = {{"case", s.case_name},
                    {"options", s.options},
                    {"wall_s", r.wall_s},
                    {"peak_rss_bytes", r.peak_rss_bytes},
                    {"disk_bytes", tree_bytes(work / "runs" / s.case_name / m.name) +
                                       tree_bytes(work / "results" / s.case_name / m.name)},
                    {"log", log}};
      const std::string result = result_path_in_log(log);
      const json written = result.empty() ? json() : read_json_file(result);
      if (!result.empty()) stage["timings_s"] = written.value("timings_s", json::object());
      if (written.contains("metrics") && written["metrics"].contains("sparse_inference"))
        stage["decode_steps"] = timed_decode_steps(written["metrics"]["sparse_inference"]);
      uint64_t peak = r.peak_rss_bytes;
      if (device.is_cuda()) {
        if (result.empty()) fail("scale_check: {} on {} wrote no result, so its GPU memory is unknown; its output is in {}", s.case_name, m.name, log);
        peak = cuda_peak_allocated(written, result, device);
        stage["gpu_peak_allocated_bytes"] = peak;
      }
      if (i == 0) baseline = peak;
      if (i > 0 && s.check.seqlen > 0) {
        stage["working_bytes_measured"] = peak > baseline ? peak - baseline : 0;
        stage["working_bytes_estimated"] = forward_working_bytes(c, s.check, elem) + resident_bytes(s, elem);
      }
      measured.push_back(stage);
      if (s.in_paper) projected.push_back(project(c, s, gpu, parameter_count(c) * 2));
      progress(static_cast<int64_t>(i + 1), static_cast<int64_t>(stages.size()));
    }
    if (!args.get_bool("keep")) fs::remove_all(dir);

    for (const json& s : measured) {
      std::string working;
      if (s.contains("working_bytes_measured"))
        working = fmt::format("  working set {:.0f} MiB (estimate {:.0f} MiB)", s["working_bytes_measured"].get<uint64_t>() / 1048576.0,
                              s["working_bytes_estimated"].get<uint64_t>() / 1048576.0);
      std::string gpu_peak;
      if (s.contains("gpu_peak_allocated_bytes"))
        gpu_peak = fmt::format("  GPU peak {:6.2f} GiB", gib(s["gpu_peak_allocated_bytes"].get<uint64_t>()));
      std::cout << fmt::format("{:<14} {:<14} {:8.1f} s  peak RSS {:6.2f} GiB{}  disk {:8.1f} MiB{}\n", m.name,
                               s["case"].get<std::string>(), s["wall_s"].get<double>(), gib(s["peak_rss_bytes"].get<uint64_t>()),
                               gpu_peak, s["disk_bytes"].get<uint64_t>() / 1048576.0, working);
    }
    for (const json& p : projected)
      std::cout << fmt::format("{:<14} {:<14} paper preset on {}: {:6.1f} GiB ({}), disk {:7.1f} GiB, {} (estimates)\n",
                               m.name, p["case"].get<std::string>(), gpu.name, gib(p["gpu_memory_bytes_estimated"].get<uint64_t>()),
                               p["fits"].get<bool>() ? "fits" : "does NOT fit", gib(p["disk_bytes_estimated"].get<uint64_t>()),
                               p["gpu_hours_estimated"].is_null()
                                   ? std::string("time not projected")
                                   : fmt::format("{:.2f} GPU-hours", p["gpu_hours_estimated"].get<double>()));
    models.push_back({{"name", m.name},
                      {"config", m.config},
                      {"parameters", parameter_count(c)},
                      {"checkpoint", checkpoint},
                      {"parent_rss_bytes", parent_rss},
                      {"stages", measured},
                      {"paper_projection", projected}});
  }
  doc.metrics()["models"] = models;

  // Every paper model, from its config alone (nothing run): what `make paper` needs per case.
  json all = json::array();
  for (size_t k = stand_ins.size(); k < configs.size(); ++k) {
    const paper_model& m = paper_models()[k - stand_ins.size()];
    const model_config& c = configs[k];
    json cases = json::array();
    for (const scale_stage& s : scale_stages(c, c.arch == model_arch::llama ? "llama_sparse" : "opt_baseline", tokens,
                                             work.string(), data[k]))
      if (s.in_paper) cases.push_back(project(c, s, gpu, parameter_count(c) * 2));
    all.push_back({{"name", m.name}, {"parameters", parameter_count(c)}, {"paper_projection", cases}});
  }
  doc.metrics()["paper_models"] = all;
  std::cout << "result: " << doc.write(out, "scale-check") << "\n";
}

}  // namespace

experiment_case scale_check_case() {
  return {"scale_check",
          4,
          "docs/paper.md: GPU memory, disk and time of each paper target (projected), checked on CPU or GPU stand-ins",
          "write random-weight stand-ins of paper models, run every case on them, measure, project the paper presets",
          {{"models", "Llama-3.2-3B,opt-1.3b", "paper model names (see docs/paper.md) or config.json paths to stand in for"},
           {"shards", "0", "safetensors shards to write (0: as the Hub's copy; 1 for a config.json path)"},
           {"tokens", "256", "tokens per window and document of the stand-ins' runs"},
           {"device", "cpu", "cpu, cuda or cuda:N: where the stand-ins' cases run (on a GPU each stage's CUDA memory peak is measured too)"},
           {"dtype", "bf16", "f32 or bf16"},
           {"llama-tokenizer", "../shared/data/tokenizers/llama3-hf", "tokenizer copied into Llama stand-ins"},
           {"opt-tokenizer", "../shared/data/tokenizers/gpt2", "tokenizer copied into OPT stand-ins"},
           {"eval-data", "data/eval/wikitext-2-raw/wiki.test.raw,data/eval/c4/c4-validation-201to400.jsonl",
            "the paper's perplexity texts (their token counts size the sweep's projection)"},
           {"task-data", "../shared/data/eval", "the paper's task data (laid out as ../shared/data/eval): its documents size the task cases' projections"},
           {"gpu", "NVIDIA H100 80GB HBM3", "the GPU the projection names"},
           {"gpu-memory-gib", "79.6", "its memory (GiB)"},
           {"gpu-tflops", "989", "its dense bf16 peak (TFLOP/s)"},
           {"utilisation", "0.3", "assumed fraction of that peak the forward passes reach"},
           {"keep", "false", "true: keep the stand-in checkpoints (they are GBs)"},
           {"work", "runs/scale_check", "stand-ins, the runs' units, results and logs"},
           {"out", "results", "results directory"}},
          run_scale_check};
}

}  // namespace harness
