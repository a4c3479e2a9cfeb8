#include "experiments/scale_stages.h"

#include <algorithm>

#include "predictors/recorder.h"

namespace harness {

namespace {

// The paper presets these projections describe (dejavu.cpp, drift.cpp, kascade.cpp, task_suite.cpp).
constexpr int64_t paper_seqlen = 2048, paper_batch = 4;
constexpr int64_t drift_docs = 64;
constexpr int64_t dejavu_rows = 400000, dejavu_epochs = 20, dejavu_rank = 1000, dejavu_error_windows = 4;
constexpr int64_t dejavu_mlp_inputs = 6, dejavu_head_inputs = 5;  // mlp_in, attn_in, attn_in-1..4; attn_in, -1..4
constexpr int64_t dejavu_mlp_levels = 5, dejavu_head_levels = 2, dejavu_mask_kinds = 2;
constexpr double dejavu_test_fraction = 0.05;
constexpr int64_t kascade_seqlen = 512, kascade_windows = 4 + 2 * 16;  // calibration, then dense and sparse
constexpr int64_t kascade_tile = 16;  // kascade.cpp's default --tile (scale_check leaves it)
constexpr int64_t task_batch = 8;

std::string str(int64_t v) { return std::to_string(v); }

// The sparse kernels' copies (kernels/model_kernels.h): every layer's down^T (fc2^T) and o^T; they share the
// model's other weights.
uint64_t kernel_copy_elements(const model_config& c) {
  return static_cast<uint64_t>(c.num_layers) * static_cast<uint64_t>(c.hidden_size) *
         static_cast<uint64_t>(c.intermediate_size + c.num_heads * c.head_dim);
}

// "N documents of the suite", and which tasks were left out for want of data.
std::string counted(const suite_workload& suite) {
  std::string text = std::to_string(suite.docs) + " documents";
  if (suite.missing.empty()) return text;
  text += "; not counted, no data:";
  for (const std::string& task : suite.missing) text += " " + task;
  return text;
}

scale_stage stage(std::string case_name, std::vector<std::string> options, forward_shape check) {
  scale_stage s;
  s.case_name = std::move(case_name);
  s.options = std::move(options);
  s.check = check;
  return s;
}

}  // namespace

std::vector<scale_stage> scale_stages(const model_config& c, const std::string& dejavu_case, int64_t tokens,
                                      const std::string& work, const paper_data& data) {
  const std::string t = str(tokens), runs = work + "/runs";
  const double d = static_cast<double>(c.hidden_size), r = dejavu_rank, layers = static_cast<double>(c.num_layers);
  const bool kv_groups = c.arch == model_arch::llama;  // llama_sparse labels GQA groups; opt_baseline heads
  const double head_outputs = static_cast<double>(kv_groups ? c.num_kv_heads : c.num_heads);
  const double mlp_predictor = d * r + r * static_cast<double>(c.intermediate_size);  // multiply-adds per row
  const double head_predictor = d * r + r * head_outputs;
  const double window_context = (paper_seqlen + 1) / 2.0;
  std::vector<scale_stage> stages;

  stages.push_back(stage("forward_check", {"--new-tokens", "16"}, {1, 17, 0}));
  stages.back().projection_note = "the loaded model: the baseline of the other stages' working memory";

  stages.push_back(stage("perplexity", {"--window", t, "--limit", "1", "--batch", "1"}, {1, tokens, 0}));
  stages.back().projection_note = "not a paper target (the DejaVu sweep scores the paper's perplexities)";

  scale_stage drift = stage("drift", {"--seqlen", t, "--docs", "2", "--bootstrap", "100", "--max-distance", "4"},
                            {1, tokens, c.num_layers + 1, 0, true});  // the head at the last position only
  drift.in_paper = true;
  drift.paper = {1, paper_seqlen, c.num_layers + 1, 0, true};
  drift.paper_forward_tokens = drift_docs * paper_seqlen;
  drift.paper_context = window_context;
  drift.projection_note = "time, a FLOP lower bound: the forward passes";
  stages.push_back(drift);

  // The check trains two MLP inputs and one head input for one epoch, and sweeps one level of each kind.
  scale_stage dejavu = stage(dejavu_case,
                     {"--rows", str(2 * tokens), "--seqlen", t, "--batch", "1", "--epochs", "1", "--train-batch", "256",
                      "--mlp-inputs", "attn_in,attn_in-1", "--head-inputs", "attn_in-1", "--mlp-sparsity", "0.8",
                      "--head-sparsity", "0.5", "--eval-seqlen", t, "--eval-windows", "1", "--error-windows", "1",
                      "--tasks", "arc_easy", "--task-limit", "4", "--decode-steps", "2", "--decode-context", t, "--work", runs},
                     {1, tokens, 0});
  dejavu.resident_f32_elements = static_cast<uint64_t>(layers * (mlp_predictor + head_predictor));  // one of each per layer
  dejavu.resident_model_elements = kernel_copy_elements(c);  // the speed path of the predicted levels' decode steps
  dejavu.in_paper = true;
  dejavu.paper = {paper_batch, paper_seqlen, 0};
  double levels = 1 + dejavu_mask_kinds * (dejavu_mlp_levels + dejavu_head_levels);
  double predicted_levels = dejavu_mlp_levels + dejavu_head_levels;
  dejavu.paper_forward_tokens = dejavu_rows                                                   // recording
                                + levels * static_cast<double>(data.eval_tokens)             // perplexities
                                + levels * 2 * dejavu_error_windows * paper_seqlen;          // layer errors
  dejavu.paper_context = window_context;
  dejavu.paper_scoring = data.dejavu_tasks.work.times(levels);  // the zero-shot tasks at every level
  double train_rows = dejavu_rows * (1 - dejavu_test_fraction) * dejavu_epochs;
  double predicted_positions = predicted_levels * (static_cast<double>(data.eval_tokens) + data.dejavu_tasks.work.positions);
  dejavu.paper_other_flops =
      6 * train_rows * layers * (dejavu_mlp_inputs * mlp_predictor + dejavu_head_inputs * head_predictor)  // training
      + predicted_positions * 2 * layers * (mlp_predictor + head_predictor);                              // inference
  dejavu.paper_disk_bytes =
      recording_bytes(c, dejavu_rows) +
      static_cast<uint64_t>(layers * 4 * (dejavu_mlp_inputs * mlp_predictor + dejavu_head_inputs * head_predictor));
  dejavu.projection_note =
      "time, a FLOP lower bound: recording, 20 epochs of every predictor (no early stop), the sweep's perplexities, "
      "layer errors and zero-shot scoring (" + counted(data.dejavu_tasks) + ") at every level; not included: reading "
      "the recording back from disk (each predictor reads its input and labels once), the timed decode steps, "
      "small-kernel overheads";
  stages.push_back(dejavu);

  for (const char* task_case : {"zero_shot", "few_shot"}) {
    bool few = std::string(task_case) == "few_shot";
    scale_stage tasks = stage(task_case, {"--tasks", few ? "mmlu" : "arc_easy,piqa", "--limit", few ? "2" : "4", "--work", runs},
                              {task_batch, 0, 0});
    tasks.in_paper = true;
    tasks.paper = {task_batch, std::min<int64_t>(paper_seqlen, c.max_position_embeddings), 0};
    const suite_workload& suite = few ? data.few_shot : data.zero_shot;
    tasks.paper_scoring = suite.work;
    tasks.projection_note = "memory bounded by 8 rows of the full context; time, a FLOP lower bound: the forward passes "
                            "that score " + counted(suite) + " (shared prefixes once, padding included)";
    stages.push_back(tasks);
  }

  int64_t top_k = std::max<int64_t>(1, std::min<int64_t>(8, tokens / 64));
  scale_stage kascade = stage("kascade",
                      {"--seq-len", t, "--calibration-windows", "1", "--eval-windows", "1", "--batch", "1", "--top-k",
                       str(top_k), "--sample-stride", str(std::max<int64_t>(1, tokens / 8))},
                      {1, tokens, 0, kascade_tile});
  kascade.in_paper = true;
  kascade.paper = {paper_batch, kascade_seqlen, 0, kascade_tile};
  kascade.paper_forward_tokens = static_cast<double>(kascade_windows * kascade_seqlen);
  kascade.paper_context = (kascade_seqlen + 1) / 2.0;
  kascade.projection_note = "time, a FLOP lower bound: calibration and evaluation forward passes";
  stages.push_back(kascade);

  // Its largest forward is the prefill of the context (logits at the last position); the steps are one token.
  stages.push_back(stage("trace", {"--context", str(tokens / 2), "--warmup", "1"}, {1, tokens / 2, 0, 0, true}));
  stages.back().resident_model_elements = kernel_copy_elements(c);
  stages.back().projection_note = "not a paper target";
  return stages;
}

}  // namespace harness
