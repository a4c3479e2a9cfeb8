// opt_baseline and llama_sparse: DejaVu's pipeline end to end on one checkpoint -- record activations on
// text, label them, train each layer's MLP and attention-head predictors (from several inputs: the
// look-ahead ablation), then run sparse inference with oracle and predicted masks over a sweep of
// sparsity levels and measure perplexity, each layer's output error and the time of a decode step (dense,
// and predicted masks through the forward's speed path: the sparse kernels with the predictors' own cost).
// The two cases share this code;
// opt_baseline defaults to DejaVu's exact definitions, llama_sparse to the choices SwiGLU and GQA force
// (README.md of predictors/ lists each). Work is split into units (the recording, one predictor, one
// sparsity level) stored under --work; --resume reuses every finished unit.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>

#include <c10/core/GradMode.h>

#include "artifact/mann_whitney.h"
#include "evals/block_error.h"
#include "evals/documents.h"
#include "evals/perplexity.h"
#include "evals/task_eval.h"
#include "experiments/cases/cases.h"
#include "experiments/progress.h"
#include "experiments/result.h"
#include "experiments/work_dir.h"
#include "kernels/model_kernels.h"
#include "predictors/labels.h"
#include "predictors/mask_sources.h"
#include "predictors/record_text.h"
#include "predictors/set_stability.h"
#include "predictors/trainer.h"
#include "runtime/device.h"
#include "runtime/placement.h"
#include "runtime/error.h"
#include "runtime/json_file.h"
#include "runtime/model.h"
#include "runtime/tokenizer.h"

namespace harness {

namespace {

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t) { return std::chrono::duration<double>(clock_type::now() - t).count(); }

nlohmann::json to_json(const predictor_metrics& m) {
  return {{"rows", m.rows},           {"recall", m.recall},       {"precision", m.precision},
          {"f1", m.f1},               {"true_active", m.true_active}, {"predicted_active", m.predicted_active}};
}

struct layer_target {
  std::string what;  // "mlp" or "heads"
  record_kind kind;  // the recorded target table
  int64_t out;       // label columns
};

class dejavu_run {
 public:
  dejavu_run(const case_args& args, std::string case_name, std::string architecture)
      : args_(args), case_name_(std::move(case_name)), architecture_(std::move(architecture)), doc_(find_case(case_name_), args) {}
  void run();

 private:
  void check_options() const;
  void record();
  void calibrate();
  void set_stability();
  int64_t stability_k() const;
  void train_all();
  nlohmann::json train_one(const layer_target& target, const predictor_input& input, int64_t layer);
  label_fn labels_for(const layer_target& target, int64_t layer) const;
  void sparse_sweep();
  nlohmann::json sparse_level(const std::string& masks, double mlp_sparsity, double head_sparsity);
  nlohmann::json decode_latency(const std::string& masks, mask_source* source);

  const case_args& args_;
  std::string case_name_, architecture_;
  result_document doc_;
  std::unique_ptr<causal_lm> model_;
  std::unique_ptr<tokenizer> tok_;
  std::string work_;
  recording rec_;
  std::vector<double> thresholds_;  // per layer, threshold rule only
  struct eval_text {
    std::string path, name;     // name: the file's stem
    std::vector<int64_t> ids;  // the whole text tokenised once
  };
  std::vector<eval_text> evals_;
  struct eval_task {
    const task_spec* spec;
    std::vector<task_doc> docs;
  };
  std::vector<eval_task> tasks_;  // zero-shot tasks scored at every sparsity level
  std::unique_ptr<model_kernels> kernels_;  // the speed path's weights, prepared when first needed
  nlohmann::json metrics_;
};

// Every option is parsed before the model is loaded, so a typo fails at once, not after the recording.
void dejavu_run::check_options() const {
  for (const char* list : {"mlp-sparsity", "head-sparsity"})
    for (double s : args_.get_double_list(list))
      if (!(s >= 0 && s < 1)) fail("--{}: sparsity {} is not in [0, 1)", list, s);
  for (const char* list : {"mlp-inputs", "head-inputs"})
    for (const std::string& name : args_.get_list(list)) parse_predictor_input(name);
  for (const char* one : {"infer-mlp-input", "infer-head-input"}) parse_predictor_input(args_.get(one));
  for (const std::string& kind : args_.get_list("masks"))
    if (kind != "oracle" && kind != "predicted") fail("--masks: unknown kind '{}' (oracle, predicted)", kind);
  for (const char* list : {"dense-mlp-layers", "dense-head-layers"}) args_.get_int_list(list);
  for (const std::string& task : args_.get_list("tasks")) find_task(task);
  parse_scoring_mode(args_.get("task-mode"));
  mlp_label_rule_from_name(args_.get("mlp-label"));
  if (args_.get("head-granularity") != "query" && args_.get("head-granularity") != "kv") fail("--head-granularity must be query or kv");
  for (const char* number : {"mlp-label-sparsity", "head-fraction", "test-fraction", "lr-mlp", "lr-heads"}) args_.get_double(number);
  for (const char* number : {"rows", "seqlen", "batch", "rank", "train-batch", "epochs", "seed", "eval-seqlen", "eval-windows",
                             "error-windows", "task-limit"})
    args_.get_int(number);
  if (args_.get_int("decode-steps") < 0 || args_.get_int("decode-context") < 1)
    fail("--decode-steps must not be negative and --decode-context must be positive");
  args_.get_bool("resume");
  args_.get_bool("predictor-relu");
}

void dejavu_run::run() {
  check_options();
  const std::string& model_dir = args_.get("model");
  if (model_dir.empty()) fail("{}: give --model (a Hugging Face checkpoint directory)", case_name_);
  std::vector<at::Device> devices = model_devices(args_.get("device"), args_.get("devices"));
  model_ = load_model(model_dir, parse_dtype(args_.get("dtype")), devices);
  const model_config& c = model_->config();
  std::string arch = c.arch == model_arch::llama ? "llama" : "opt";
  if (arch != architecture_) fail("{}: {} is a {} checkpoint; this case runs {} models", case_name_, model_dir, arch, architecture_);
  tok_ = std::make_unique<tokenizer>(load_tokenizer(args_.get("tokenizer").empty() ? model_dir : args_.get("tokenizer")));
  work_ = work_dir_for(args_, case_name_, model_dir);
  prepare_work_dir(work_, args_);

  metrics_["architecture"] = arch;
  doc_.set_seed("predictor_init", static_cast<uint64_t>(args_.get_int("seed")));
  doc_.set_seed("predictor_shuffle", static_cast<uint64_t>(args_.get_int("seed")) + 1);
  auto t = clock_type::now();
  record();
  doc_.add_timing("record", seconds_since(t));
  t = clock_type::now();
  calibrate();
  set_stability();
  train_all();
  doc_.add_timing("train", seconds_since(t));
  t = clock_type::now();
  sparse_sweep();
  doc_.add_timing("sparse_inference", seconds_since(t));

  doc_.add_model_inputs(model_dir);
  doc_.add_input_files("tokenizer", tok_->files());
  doc_.add_input_files("train_data", {args_.get("train-data")});
  doc_.add_input_files("eval_data", args_.get_list("eval-data"));
  for (const eval_task& task : tasks_) doc_.add_input_files("task:" + task.spec->name, task_input_files(*task.spec, args_.get("task-data"), 0));
  doc_.set_environment(describe_environment(model_->placement()));
  doc_.metrics() = metrics_;
  std::cout << "result: " << doc_.write_for_model(args_.get("out"), model_dir) << "\n";
}

void dejavu_run::record() {
  c10::NoGradGuard no_grad;
  std::string dir = (fs::path(work_) / "recording").string();
  int64_t rows = args_.get_int("rows");
  if (fs::exists(fs::path(dir) / "manifest.json")) {
    std::cerr << "record: reusing the finished recording in " << dir << "\n";
  } else {
    std::vector<std::string> docs = read_documents(args_.get("train-data"));
    activation_recorder recorder(model_->config(), dir, rows);
    std::cerr << fmt::format("record: up to {} token rows per layer to {} ({:.1f} MB)\n", rows, dir,
                             recording_bytes(model_->config(), rows) / 1e6);
    auto progress = progress_printer("record", "rows");
    record_stats stats = record_documents(*model_, *tok_, docs, args_.get_int("seqlen"), args_.get_int("batch"),
                                          recorder, [&](int64_t done, int64_t) { progress(done, rows); });
    recorder.finish({{"train_data", args_.get("train-data")}, {"documents", stats.documents}, {"tokens", stats.tokens},
                     {"seqlen", args_.get_int("seqlen")}});
  }
  rec_ = open_recording(dir);
  if (rec_.rows < rows)
    doc_.mark_invalid(fmt::format("the training text gave {} token rows, fewer than --rows {}", rec_.rows, rows));
  metrics_["recording"] = {{"rows", rec_.rows},
                           {"documents", rec_.manifest.value("documents", 0)},
                           {"tokens", rec_.manifest.value("tokens", 0)}};
}

void dejavu_run::calibrate() {
  mlp_label_rule rule = mlp_label_rule_from_name(args_.get("mlp-label"));
  metrics_["labels"] = {{"mlp_rule", mlp_label_rule_name(rule)},
                        {"mlp_label_sparsity", args_.get_double("mlp-label-sparsity")},
                        {"head_fraction", args_.get_double("head-fraction")},
                        {"head_granularity", args_.get("head-granularity")}};
  if (rule != mlp_label_rule::threshold) return;
  // Calibrated on the training rows only (the last test_fraction is held out).
  int64_t train_rows = rec_.rows - static_cast<int64_t>(std::ceil(args_.get_double("test-fraction") * rec_.rows));
  for (int64_t l = 0; l < model_->config().num_layers; ++l) {
    activation_file act = rec_.open(record_kind::mlp_label, l);
    thresholds_.push_back(calibrate_threshold(act.tensor().narrow(0, 0, train_rows), 1 - args_.get_double("mlp-label-sparsity")));
  }
  metrics_["labels"]["mlp_thresholds"] = thresholds_;
}

// k of the top-k neuron sets compared: the neurons the MLP label sparsity keeps.
int64_t dejavu_run::stability_k() const {
  double keep = 1 - args_.get_double("mlp-label-sparsity");
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(keep * static_cast<double>(model_->config().intermediate_size))));
}

// How stable the top-k neuron set is from one token to the next, against the overlap of random sets.
void dejavu_run::set_stability() {
  const model_config& c = model_->config();
  int64_t k = stability_k();
  double p = static_cast<double>(k) / static_cast<double>(c.intermediate_size);
  nlohmann::json layers = nlohmann::json::array();
  for (int64_t l = 0; l < c.num_layers; ++l) {
    jaccard_summary j = consecutive_token_jaccard(rec_.open(record_kind::mlp_label, l).tensor(), rec_.sequence_starts, k);
    layers.push_back({{"layer", l}, {"jaccard_mean", j.mean}, {"jaccard_stderr", j.standard_error}, {"pairs", j.pairs}});
  }
  metrics_["set_stability"] = {{"what", "Jaccard overlap of consecutive tokens' top-k MLP neuron sets by |act|"},
                               {"k", k},
                               {"random_sets_expected", p / (2 - p)},
                               {"per_layer", layers}};
}

label_fn dejavu_run::labels_for(const layer_target& target, int64_t layer) const {
  if (target.what == "mlp") {
    mlp_label_rule rule = mlp_label_rule_from_name(args_.get("mlp-label"));
    double keep = 1 - args_.get_double("mlp-label-sparsity");
    double threshold = rule == mlp_label_rule::threshold ? thresholds_.at(layer) : 0;
    return [rule, keep, threshold](const at::Tensor& act) { return mlp_labels(act, rule, keep, threshold); };
  }
  double fraction = args_.get_double("head-fraction");
  if (args_.get("head-granularity") == "query") return [fraction](const at::Tensor& norms) { return head_labels(norms, fraction); };
  int64_t kv = model_->config().num_kv_heads;
  return [fraction, kv](const at::Tensor& norms) { return head_labels(kv_group_norms(norms, kv), fraction); };
}

nlohmann::json dejavu_run::train_one(const layer_target& target, const predictor_input& input, int64_t layer) {
  std::string unit = fmt::format("{}.{}.{}", target.what, input.name(), layer);
  fs::path weights = fs::path(work_) / "predictors" / (unit + ".safetensors");
  fs::path report = fs::path(work_) / "predictors" / (unit + ".json");
  if (fs::exists(report)) return read_json_file(report.string());  // a finished unit (written last)
  fs::create_directories(weights.parent_path());

  bool mlp = target.what == "mlp";
  train_options o;
  o.rank = args_.get_int("rank");
  o.relu = args_.get_bool("predictor-relu");
  o.lr = args_.get_double(mlp ? "lr-mlp" : "lr-heads");
  o.batch = args_.get_int("train-batch");
  o.max_epochs = args_.get_int("epochs");
  o.test_fraction = args_.get_double("test-fraction");
  o.weight_offset = mlp ? 0.005 : 0.0;
  o.seed = static_cast<uint64_t>(args_.get_int("seed"));
  activation_file x = rec_.open(input.point == hook_point::attn_in ? record_kind::att_x : record_kind::mlp_x, layer - input.lookback);
  activation_file y = rec_.open(target.kind, layer);
  label_fn labels = labels_for(target, layer);
  auto t = clock_type::now();
  train_result r = train_predictor(x.tensor(), y.tensor(), target.out, labels, o);
  double seconds = seconds_since(t);

  nlohmann::json j = {{"layer", layer}, {"input", input.name()}, {"best_epoch", r.best_epoch},
                      {"epochs", static_cast<int64_t>(r.epochs.size()) - 1}, {"train_rows", r.train_rows},
                      {"test_rows", r.test_rows}, {"seconds", seconds}, {"test", to_json(r.best)}};
  // Recall when inference keeps a fixed top-K, at every sparsity of the sweep.
  for (double s : args_.get_double_list(mlp ? "mlp-sparsity" : "head-sparsity")) {
    if (s == 0) continue;
    int64_t k = std::max<int64_t>(1, std::llround((1 - s) * static_cast<double>(target.out)));
    predictor_metrics m = evaluate_predictor(r.net, x.tensor(), y.tensor(), labels, r.train_rows, x.rows(), k, o.batch);
    j["recall_at_k"][fmt::format("{:g}", s)] = {{"k", k}, {"recall", m.recall_at_k}};
  }
  if (mlp) {  // the set picked from this input against the layer's true top-k set (the drift study's set overlap)
    jaccard_summary js = predicted_set_jaccard(r.net, x.tensor(), y.tensor(), r.train_rows, x.rows(), stability_k(), o.batch);
    j["topk_jaccard"] = {{"k", stability_k()}, {"value", js.mean}, {"stderr", js.standard_error}, {"rows", js.pairs}};
  }
  for (const epoch_record& e : r.epochs)
    j["curve"].push_back({{"epoch", e.epoch}, {"train_loss", std::isnan(e.train_loss) ? nlohmann::json() : nlohmann::json(e.train_loss)},
                          {"test_recall", e.test.recall}});
  save_predictor(r.net, weights.string());
  write_json_file_atomic(report.string(), j);
  std::string overlap = mlp ? fmt::format(" top-{} Jaccard {:.4f}", stability_k(), j["topk_jaccard"]["value"].get<double>()) : "";
  std::cerr << fmt::format("train: {} layer {} from {}: recall {:.4f} precision {:.4f}{} ({} epochs, {:.1f} s)\n", target.what,
                           layer, input.name(), r.best.recall, r.best.precision, overlap, r.epochs.size() - 1, seconds);
  return j;
}

void dejavu_run::train_all() {
  const model_config& c = model_->config();
  bool groups = args_.get("head-granularity") == "kv";
  std::vector<std::pair<layer_target, std::vector<std::string>>> plan = {
      {{"mlp", record_kind::mlp_label, c.intermediate_size}, args_.get_list("mlp-inputs")},
      {{"heads", record_kind::att_head_norm, groups ? c.num_kv_heads : c.num_heads}, args_.get_list("head-inputs")}};
  for (const auto& [target, inputs] : plan) {
    for (const std::string& name : inputs) {
      predictor_input input = parse_predictor_input(name);
      nlohmann::json layers = nlohmann::json::array();
      for (int64_t l = input.lookback; l < c.num_layers; ++l) layers.push_back(train_one(target, input, l));
      metrics_["predictors"][target.what][input.name()] = layers;
    }
  }
}

nlohmann::json dejavu_run::sparse_level(const std::string& masks, double mlp_sparsity, double head_sparsity) {
  fs::path unit = fs::path(work_) / "sparse" / fmt::format("{}-mlp{:g}-heads{:g}.json", masks, mlp_sparsity, head_sparsity);
  if (fs::exists(unit)) return read_json_file(unit.string());
  fs::create_directories(unit.parent_path());
  c10::NoGradGuard no_grad;
  const model_config& c = model_->config();
  predictor_input mlp_in = parse_predictor_input(args_.get("infer-mlp-input"));
  predictor_input head_in = parse_predictor_input(args_.get("infer-head-input"));
  // Layers a look-ahead predictor cannot serve (no layer lookback earlier) stay dense, as DejaVu's first.
  std::vector<int64_t> dense_mlp, dense_heads;
  for (int64_t l = 0; l < std::min(mlp_in.lookback, c.num_layers); ++l) dense_mlp.push_back(l);
  for (int64_t l = 0; l < std::min(head_in.lookback, c.num_layers); ++l) dense_heads.push_back(l);
  for (int64_t l : args_.get_int_list("dense-mlp-layers")) dense_mlp.push_back(l);
  for (int64_t l : args_.get_int_list("dense-head-layers")) dense_heads.push_back(l);
  for (auto* list : {&dense_mlp, &dense_heads}) {
    std::sort(list->begin(), list->end());
    list->erase(std::unique(list->begin(), list->end()), list->end());
  }
  sparsity_plan plan = make_sparsity_plan(c, mlp_sparsity, head_sparsity, args_.get("head-granularity") == "kv", dense_mlp, dense_heads);

  std::unique_ptr<mask_source> source;
  if (masks == "dense") {
    source = std::make_unique<oracle_masks>(c, make_sparsity_plan(c, 0, 0, false, {}, {}));  // keeps everything
  } else if (masks == "oracle") {
    source = std::make_unique<oracle_masks>(c, plan);
  } else if (masks == "predicted") {
    std::map<int64_t, predictor> mlp, heads;
    for (int64_t l = 0; l < c.num_layers; ++l) {
      auto path = [&](const char* what, const predictor_input& in) {
        return (fs::path(work_) / "predictors" / fmt::format("{}.{}.{}.safetensors", what, in.name(), l)).string();
      };
      if (plan.mlp_keep > 0 && plan.mlp_layers[l]) mlp.emplace(l, load_predictor(path("mlp", mlp_in)));
      if (plan.head_keep > 0 && plan.head_layers[l]) heads.emplace(l, load_predictor(path("heads", head_in)));
    }
    source = std::make_unique<predicted_masks>(c, plan, std::move(mlp), mlp_in, std::move(heads), head_in);
  } else {
    fail("--masks: unknown kind '{}' (oracle, predicted)", masks);
  }
  nlohmann::json j = {{"masks", masks},
                      {"mlp_sparsity", mlp_sparsity},
                      {"head_sparsity", head_sparsity},
                      {"mlp_keep", plan.mlp_keep},
                      {"head_keep", plan.head_keep},
                      {"dense_mlp_layers", dense_mlp},
                      {"dense_head_layers", dense_heads}};
  ppl_protocol protocol = parse_ppl_protocol("nonoverlap", args_.get_int("eval-seqlen"), 0, std::nullopt);
  for (const eval_text& text : evals_) {
    ppl_result ppl = evaluate_perplexity(*model_, text.ids, protocol, args_.get_int("batch"), args_.get_int("eval-windows"),
                                         {}, source.get());
    j["perplexity"][text.name] = {{"protocol", protocol.id()},     {"perplexity", ppl.perplexity},
                                  {"mean_nll", ppl.mean_nll},      {"nll_stderr", ppl.nll_stderr},
                                  {"tokens_scored", ppl.tokens_scored}, {"windows", ppl.windows}};
  }
  for (const eval_task& task : tasks_) {
    scoring_options scoring;
    scoring.batch = args_.get_int("batch");
    scoring.masks = source.get();
    task_result r = evaluate_task(*model_, *tok_, *task.spec, task.docs, parse_scoring_mode(args_.get("task-mode")), scoring);
    for (const auto& [name, m] : r.metrics)
      j["zero_shot"][task.spec->name][name] = {{"value", m.mean}, {"stderr", m.se}, {"docs", task.docs.size()}};
  }
  // Each layer's output error, on the first windows of the first text.
  const std::vector<int64_t>& ids = evals_.front().ids;
  std::vector<ppl_window> windows = plan_windows(protocol, static_cast<int64_t>(ids.size()));
  int64_t error_windows = std::min<int64_t>(args_.get_int("error-windows"), static_cast<int64_t>(windows.size()));
  std::vector<at::Tensor> rows;
  for (int64_t w = 0; w < error_windows; ++w)
    rows.push_back(at::tensor(std::vector<int64_t>(ids.begin() + windows[w].start, ids.begin() + windows[w].start + windows[w].length),
                              at::kLong));
  j["block_output_rel_error"] =
      rows.empty() ? std::vector<double>() : block_output_error(*model_, at::stack(rows), *source, args_.get_int("batch"));
  j["decode_step_s"] = decode_latency(masks, source.get());
  write_json_file_atomic(unit.string(), j);
  std::string ppls;
  for (const eval_text& text : evals_) ppls += fmt::format(" {} {:.4f}", text.name, j["perplexity"][text.name]["perplexity"].get<double>());
  std::cerr << fmt::format("sparse: {} masks, MLP {:g}, heads {:g}: perplexity{}\n", masks, mlp_sparsity, head_sparsity, ppls);
  return j;
}

// Greedy decode steps after a prefill of the first eval text's first --decode-context tokens, each timed
// to the device's end of work: --decode-steps of them after two untimed. Dense: the plain forward.
// Predicted: the speed path -- every sparse layer's MLP and attention through the sparse kernels with the
// predictors run inside the step. Oracle masks need each step's dense values, so no speed path: null.
nlohmann::json dejavu_run::decode_latency(const std::string& masks, mask_source* source) {
  const int64_t steps = args_.get_int("decode-steps"), warmup = 2;
  if (steps == 0 || masks == "oracle") return nullptr;
  const std::vector<int64_t>& text = evals_.front().ids;
  int64_t context = std::min<int64_t>(args_.get_int("decode-context"), static_cast<int64_t>(text.size()));
  const model_config& c = model_->config();
  if (c.max_position_embeddings > 0) context = std::min<int64_t>(context, c.max_position_embeddings - warmup - steps);
  if (context < 1) fail("--decode-steps {}: the model's {} positions leave no room for a context", steps, c.max_position_embeddings);
  forward_options opt;
  if (masks == "predicted") {
    if (!kernels_) kernels_ = std::make_unique<model_kernels>(*model_);
    opt.dynamic_masks = source;
    opt.kernels = kernels_.get();
  }
  kv_cache cache = model_->make_cache(1, context + warmup + steps);
  opt.cache = &cache;
  opt.last_position_only = true;
  at::Tensor prompt = at::tensor(std::vector<int64_t>(text.begin(), text.begin() + context), at::kLong).unsqueeze(0);
  at::Tensor next = model_->forward({prompt, {}, {}}, opt).logits.argmax(-1).reshape({1, 1}).cpu();  // [1, 1]
  std::vector<double> seconds;
  for (int64_t s = 0; s < warmup + steps; ++s) {
    auto t = clock_type::now();
    next = model_->forward({next, {}, {}}, opt).logits.argmax(-1).reshape({1, 1}).cpu();  // .cpu() waits for the device
    if (s >= warmup) seconds.push_back(seconds_since(t));
  }
  return {{"value", median(seconds)}, {"samples", seconds}, {"unit", "s"}, {"context", context}};
}

void dejavu_run::sparse_sweep() {
  // A .jsonl corpus is scored as its documents joined by blank lines; a text file as it is.
  for (const std::string& path : args_.get_list("eval-data")) {
    std::vector<int32_t> ids = tok_->encode(read_joined_documents(path), /*add_bos=*/false);
    check_token_ids(ids, model_->config(), path);
    evals_.push_back({path, fs::path(path).stem().string(), std::vector<int64_t>(ids.begin(), ids.end())});
  }
  if (evals_.empty()) fail("--eval-data: give at least one text");
  for (const std::string& name : args_.get_list("tasks")) {
    const task_spec& spec = find_task(name);
    tasks_.push_back({&spec, build_task_docs(spec, args_.get("task-data"), 0, args_.get_int("task-limit"))});
  }
  if (args_.get_int("task-limit") > 0 && !tasks_.empty()) doc_.mark_invalid("--task-limit scores only part of each task");
  // The dense model once, then per mask kind each MLP level with dense attention and each head level
  // with a dense MLP.
  std::vector<std::pair<double, double>> levels;
  for (double s : args_.get_double_list("mlp-sparsity"))
    if (s > 0) levels.push_back({s, 0});
  for (double s : args_.get_double_list("head-sparsity"))
    if (s > 0) levels.push_back({0, s});
  std::vector<std::string> kinds = args_.get_list("masks");
  int64_t total = static_cast<int64_t>(1 + levels.size() * kinds.size()), done = 0;
  auto progress = progress_printer("sparse", "levels");
  nlohmann::json results = nlohmann::json::array({sparse_level("dense", 0, 0)});
  progress(++done, total);
  for (const std::string& kind : kinds)
    for (auto [mlp, heads] : levels) {
      results.push_back(sparse_level(kind, mlp, heads));
      progress(++done, total);
    }
  // Each timed level's median decode step against the dense level's (in the same run, unless a resumed run
  // reused one of the two units).
  const nlohmann::json& dense_step = results[0]["decode_step_s"];
  for (nlohmann::json& level : results)
    if (!dense_step.is_null() && !level["decode_step_s"].is_null())
      level["decode_speedup"] = dense_step["value"].get<double>() / level["decode_step_s"]["value"].get<double>();
  metrics_["sparse_inference"] = results;
  if (args_.get_int("eval-windows") > 0) doc_.mark_invalid("--eval-windows limits the perplexity windows");
}

std::vector<case_option> dejavu_options(const std::string& model, const std::string& mlp_label, const std::string& granularity) {
  return {{"model", model, "Hugging Face checkpoint directory"},
          {"tokenizer", "", "tokenizer.json or a directory with one (default: the model directory)"},
          {"train-data", "data/eval/c4/c4-validation-first200.jsonl", "recording text: .jsonl with \"text\" per line, or a text file"},
          {"eval-data", "data/eval/wikitext-2-raw/wiki.test.raw,data/eval/c4/c4-validation-201to400.jsonl",
           "perplexity texts, comma-separated: a text file read whole, or .jsonl documents joined by blank lines"},
          {"rows", "20000", "token rows recorded per layer (DejaVu: 400000)"},
          {"seqlen", "512", "tokens per recorded document at most"},
          {"batch", "4", "sequences per forward pass"},
          {"mlp-label", mlp_label, "MLP label rule: positive (DejaVu, ReLU), topk or threshold (SwiGLU)"},
          {"mlp-label-sparsity", "0.8", "topk/threshold rules: fraction of neurons labelled inactive"},
          {"head-fraction", "0.3", "fraction of heads labelled active (DejaVu: top 30% by output norm)"},
          {"head-granularity", granularity, "query (per query head, DejaVu) or kv (per GQA key/value group)"},
          {"mlp-inputs", "mlp_in,attn_in,attn_in-1", "MLP predictor inputs to train (look-ahead ablation): mlp_in, attn_in, attn_in-k"},
          {"head-inputs", "attn_in,attn_in-1", "head predictor inputs to train: attn_in (own), attn_in-k (k blocks earlier)"},
          {"rank", "1000", "predictor low rank r (DejaVu: 1000)"},
          {"predictor-relu", "false", "true: a ReLU between the predictor's two linears"},
          {"lr-mlp", "1e-3", "AdamW learning rate of MLP predictors (DejaVu: 1e-3)"},
          {"lr-heads", "1e-4", "AdamW learning rate of head predictors (DejaVu: 1e-4)"},
          {"train-batch", "1024", "rows per training step (DejaVu: 1024)"},
          {"epochs", "20", "at most this many epochs (DejaVu: 20; early stop after 5 without a better recall)"},
          {"test-fraction", "0.05", "rows held out from the end for test metrics (DejaVu: 5%)"},
          {"seed", "0", "predictor initialisation (seed) and shuffling (seed + 1)"},
          {"masks", "oracle,predicted", "mask kinds of the sparse sweep"},
          {"mlp-sparsity", "0.5,0.7,0.8,0.9,0.95", "MLP sparsity levels of the sweep (fraction of neurons dropped)"},
          {"head-sparsity", "0.3,0.5", "attention sparsity levels (fraction of heads or KV groups dropped)"},
          {"infer-mlp-input", "attn_in", "input of the MLP predictor at inference (DejaVu's accuracy path: attn_in)"},
          {"infer-head-input", "attn_in-1", "input of the head predictor at inference (DejaVu: attn_in-1)"},
          {"dense-mlp-layers", "", "layers whose MLP stays dense (DejaVu's LAYER: MLP predictors only below it)"},
          {"dense-head-layers", "", "layers whose attention stays dense (beyond those without a look-ahead input)"},
          {"eval-seqlen", "512", "perplexity window (ppl.nonoverlap)"},
          {"eval-windows", "0", "at most this many perplexity windows (0: all; a limit marks the result INVALID)"},
          {"error-windows", "4", "windows over which each layer's output error is measured"},
          {"decode-steps", "16", "timed decode steps per level, dense and predicted (speed path); 0: none"},
          {"decode-context", "256", "tokens of the first eval text cached before the timed decode steps"},
          {"tasks", "", "zero-shot tasks scored at every sparsity level (e.g. arc_easy,piqa); empty: none"},
          {"task-data", "data/eval", "data directory of the tasks (laid out as ../shared/data/eval)"},
          {"task-limit", "0", "at most this many documents per task (0: all; a limit marks the result INVALID)"},
          {"task-mode", "lm-eval", "task scoring: lm-eval or dejavu (mean per-token log-prob, no BOS)"},
          {"work", "runs", "where units (recording, predictors, sparse levels) are kept"},
          {"resume", "false", "true: reuse the finished units of an interrupted run with the same configuration"},
          {"device", "cpu", "cpu, cuda or cuda:N"},
          {"devices", "", "layers split across these devices: cuda:0,cuda:1,... (cuda: every GPU); overrides --device"},
          {"dtype", "f32", "f32 or bf16"},
          {"out", "results", "results directory"}};
}

std::map<std::string, std::map<std::string, std::string>> dejavu_presets() {
  return {{"tiny", {{"rows", "20000"}, {"epochs", "10"}, {"eval-windows", "64"}, {"tasks", "arc_easy,piqa,winogrande,hellaswag"}}},
          {"paper", {{"rows", "400000"}, {"seqlen", "2048"}, {"epochs", "20"}, {"eval-seqlen", "2048"}, {"device", "cuda"},
                     {"dtype", "bf16"}, {"task-data", "../shared/data/eval"},
                     {"decode-steps", "64"}, {"decode-context", "2048"},
                     {"tasks", "boolq,winogrande,rte,arc_easy,arc_challenge,hellaswag,openbookqa,piqa"},
                     {"mlp-inputs", "mlp_in,attn_in,attn_in-1,attn_in-2,attn_in-3,attn_in-4"},
                     {"head-inputs", "attn_in,attn_in-1,attn_in-2,attn_in-3,attn_in-4"}}}};
}

experiment_case make_dejavu_case(const std::string& name, const std::string& architecture, const std::string& model,
                                 const std::string& mlp_label, const std::string& granularity, const std::string& summary) {
  return {name,
          3,  // v2: timed decode steps; v3: topk_jaccard of the MLP predictors
          "recall and look-ahead tables; sparse perplexity figure",
          summary,
          dejavu_options(model, mlp_label, granularity),
          [name, architecture](const case_args& args) { dejavu_run(args, name, architecture).run(); },
          dejavu_presets()};
}

}  // namespace

experiment_case opt_baseline_case() {
  return make_dejavu_case("opt_baseline", "opt", "", "positive", "query",
                          "DejaVu's pipeline on an OPT checkpoint with DejaVu's definitions (ReLU > 0 labels)");
}

experiment_case llama_sparse_case() {
  return make_dejavu_case("llama_sparse", "llama", "data/models/tinystories-656k", "topk", "kv",
                          "DejaVu's pipeline on a Llama checkpoint (top-k |SiLU(gate)*up| labels, GQA groups)");
}

}  // namespace harness
