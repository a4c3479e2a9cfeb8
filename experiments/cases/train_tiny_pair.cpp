// train_tiny_pair: trains an architecture-controlled pair from scratch -- an OPT (pre-LN LayerNorm, ReLU,
// learned positions with OPT's offset 2) and a Llama (RMSNorm, SwiGLU, RoPE, GQA) of the same depth and
// width, OPT's ffn_dim 1.5x Llama's intermediate_size so the MLPs hold the same parameters -- on the same
// tokens, tokenizer, seed, schedule and budget, through the harness's own forward (runtime/lm_trainer.h).
// Each is written as a Hugging Face directory and scored on held-out text beside an add-one unigram
// baseline of the training tokens. Units under --work: per model, the training state every --save-every
// steps (<arch>/state-<step>/ with the marker <arch>/state-<step>.json); --resume true continues from the
// last one.
#include <chrono>
#include <filesystem>
#include <iostream>

#include "evals/documents.h"
#include "evals/perplexity.h"
#include "evals/unigram.h"
#include "experiments/cases/cases.h"
#include "experiments/progress.h"
#include "experiments/result.h"
#include "experiments/work_dir.h"
#include "runtime/checkpoint.h"
#include "runtime/device.h"
#include "runtime/error.h"
#include "runtime/json_file.h"
#include "runtime/lm_trainer.h"
#include "runtime/model.h"
#include "runtime/synthetic_checkpoint.h"
#include "runtime/tokenizer.h"

namespace harness {

namespace {

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t) { return std::chrono::duration<double>(clock_type::now() - t).count(); }

const char* const tokenizer_files[] = {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"};

// Documents [skip, skip + count) of a .jsonl corpus (count 0: all the rest), joined by blank lines as the
// perplexity cases join them, tokenised once (with BOS first when the tokenizer adds one).
std::vector<int64_t> tokenize_documents(const tokenizer& tok, const std::string& path, int64_t skip, int64_t count) {
  std::vector<std::string> docs = read_documents(path);
  if (skip >= static_cast<int64_t>(docs.size())) fail("{}: {} documents, none left after skipping {}", path, docs.size(), skip);
  int64_t end = count > 0 ? std::min<int64_t>(skip + count, docs.size()) : static_cast<int64_t>(docs.size());
  std::string text;
  for (int64_t i = skip; i < end; ++i) text += (i > skip ? "\n\n" : "") + docs[i];
  std::vector<int32_t> ids = tok.encode(text);
  return {ids.begin(), ids.end()};
}

// config.json of each model of the pair: same depth, width, heads, context, vocabulary and special tokens.
nlohmann::json common_config(const case_args& args, const tokenizer& tok) {
  return {{"vocab_size", tok.id_limit()},
          {"hidden_size", args.get_int("hidden")},
          {"num_hidden_layers", args.get_int("layers")},
          {"num_attention_heads", args.get_int("heads")},
          {"max_position_embeddings", args.get_int("seq")},
          {"tie_word_embeddings", true},
          {"bos_token_id", tok.bos_id().value_or(1)},
          {"eos_token_id", tok.eos_id().value_or(2)},
          {"torch_dtype", "float32"}};
}

nlohmann::json opt_config(const case_args& args, const tokenizer& tok) {
  nlohmann::json c = common_config(args, tok);
  c.update({{"architectures", {"OPTForCausalLM"}},
            {"model_type", "opt"},
            {"ffn_dim", args.get_int("llama-ffn") * 3 / 2},
            {"word_embed_proj_dim", args.get_int("hidden")},
            {"do_layer_norm_before", true},
            {"activation_function", "relu"},
            {"enable_bias", true},
            {"layer_norm_elementwise_affine", true},
            {"pad_token_id", 0},
            {"dropout", 0.0},
            {"attention_dropout", 0.0},
            {"activation_dropout", 0.0},
            {"layerdrop", 0.0}});
  return c;
}

nlohmann::json llama_config(const case_args& args, const tokenizer& tok) {
  nlohmann::json c = common_config(args, tok);
  c.update({{"architectures", {"LlamaForCausalLM"}},
            {"model_type", "llama"},
            {"intermediate_size", args.get_int("llama-ffn")},
            {"num_key_value_heads", args.get_int("kv-heads")},
            {"hidden_act", "silu"},
            {"rms_norm_eps", 1e-5},
            {"rope_theta", 10000.0},
            {"rope_scaling", nullptr},
            {"attention_bias", false},
            {"mlp_bias", false},
            {"attention_dropout", 0.0}});
  return c;
}

struct corpus {
  std::vector<int64_t> train, val, wikitext;
  std::vector<double> unigram;  // log p(t) of the training tokens, add-one smoothed
};

class pair_run {
 public:
  explicit pair_run(const case_args& args) : args_(args), doc_(find_case("train_tiny_pair"), args) {}
  void run();

 private:
  lm_train_options train_options() const;
  nlohmann::json train_model(const std::string& arch, const nlohmann::json& config);
  std::string last_state(const std::string& arch_work) const;
  nlohmann::json evaluate(const std::string& model_dir) const;
  nlohmann::json score(const ppl_result& r) const;

  const case_args& args_;
  result_document doc_;
  std::unique_ptr<tokenizer> tok_;
  corpus data_;
  ppl_protocol protocol_;
  std::string work_;
};

lm_train_options pair_run::train_options() const {
  lm_train_options o;
  o.steps = args_.get_int("steps");
  o.batch = args_.get_int("batch");
  o.seq_len = args_.get_int("seq");
  o.lr = args_.get_double("lr");
  o.min_lr = args_.get_double("min-lr");
  o.warmup = args_.get_int("warmup");
  o.weight_decay = args_.get_double("weight-decay");
  o.seed = static_cast<uint64_t>(args_.get_int("seed"));
  return o;
}

// The saved state with the most steps (its marker written last), or "" when there is none.
std::string pair_run::last_state(const std::string& arch_work) const {
  std::string best;
  int64_t best_step = -1;
  for (const auto& e : fs::directory_iterator(arch_work)) {
    if (e.path().extension() != ".json" || e.path().stem().string().rfind("state-", 0) != 0) continue;
    int64_t step = read_json_file(e.path().string()).at("step").get<int64_t>();
    if (step > best_step) best_step = step, best = (fs::path(arch_work) / e.path().stem()).string();
  }
  return best;
}

nlohmann::json pair_run::score(const ppl_result& r) const {
  return {{"perplexity", r.perplexity},
          {"mean_nll", {{"value", r.mean_nll}, {"stderr", r.nll_stderr}}},
          {"tokens_scored", r.tokens_scored}};
}

// Perplexity of an exported directory, loaded back with load_model as every other case loads it.
nlohmann::json pair_run::evaluate(const std::string& model_dir) const {
  auto model = load_model(model_dir, at::kFloat, at::Device(at::kCPU));
  nlohmann::json out = nlohmann::json::object();
  out["val"] = score(evaluate_perplexity(*model, data_.val, protocol_, 8, 0, progress_printer("validation", "windows")));
  if (!data_.wikitext.empty())
    out["wikitext2_test"] =
        score(evaluate_perplexity(*model, data_.wikitext, protocol_, 8, 0, progress_printer("wikitext-2", "windows")));
  return out;
}

nlohmann::json pair_run::train_model(const std::string& arch, const nlohmann::json& config) {
  std::string arch_work = (fs::path(work_) / arch).string();
  std::string init = (fs::path(arch_work) / "init").string();
  uint64_t seed = static_cast<uint64_t>(args_.get_int("seed"));
  if (!fs::exists(fs::path(init) / "model.safetensors")) {
    if (arch == "opt") write_synthetic_opt(init, config, at::kFloat, seed);
    else write_synthetic_llama(init, config, at::kFloat, seed);
  }
  auto model = load_model(init, at::kFloat, at::Device(at::kCPU));
  lm_train_options o = train_options();
  lm_trainer trainer(*model, o);
  std::string resumed = last_state(arch_work);
  int64_t resumed_step = 0;
  if (!resumed.empty()) {
    trainer.load(resumed);
    resumed_step = trainer.step();
    std::cerr << fmt::format("{}: resumed at step {} from {}\n", arch, trainer.step(), resumed);
  }

  auto t0 = clock_type::now();
  int64_t save_every = args_.get_int("save-every");
  auto progress = progress_printer("train " + arch, "steps");
  while (trainer.step() < o.steps) {
    trainer.train_step(data_.train);
    progress(trainer.step(), o.steps);
    if (trainer.step() % save_every == 0 || trainer.step() == o.steps) {
      std::string name = fmt::format("state-{:06d}", trainer.step());
      std::string previous = last_state(arch_work);
      trainer.save((fs::path(arch_work) / name).string());
      write_json_file_atomic((fs::path(arch_work) / (name + ".json")).string(), {{"step", trainer.step()}});
      if (!previous.empty()) {
        fs::remove(previous + ".json");
        fs::remove_all(previous);
      }
      const auto& l = trainer.losses();
      double mean = 0;
      int64_t from = std::max<int64_t>(0, trainer.step() - save_every);
      for (int64_t i = from; i < trainer.step(); ++i) mean += l[static_cast<size_t>(i)];
      std::cerr << fmt::format("{} step {}: mean train loss {:.4f} over the last {} steps, lr {:.2e}\n", arch,
                               trainer.step(), mean / static_cast<double>(trainer.step() - from),
                               trainer.step() - from, lr_at(o, trainer.step() - 1));
    }
  }
  double train_s = seconds_since(t0);

  // The trained weights as a Hugging Face directory: config.json, model.safetensors, the tokenizer's files.
  std::string name = "tiny-pair-" + arch;
  fs::path out_dir = args_.get("models-out").empty() ? fs::path(work_) / "models" / name
                                                     : fs::path(args_.get("models-out")) / name;
  fs::create_directories(out_dir);
  write_json_file_atomic((out_dir / "config.json").string(), config);
  fs::copy_file(fs::path(last_state(arch_work)) / "model.safetensors", out_dir / "model.safetensors",
                fs::copy_options::overwrite_existing);
  for (const char* f : tokenizer_files)
    fs::copy_file(fs::path(args_.get("tokenizer")) / f, out_dir / f, fs::copy_options::overwrite_existing);
  doc_.add_input_files(arch + "_init", {(fs::path(init) / "model.safetensors").string()});

  auto t1 = clock_type::now();
  nlohmann::json m = evaluate(out_dir.string());
  int64_t parameters = 0;
  for (const auto& [n, t] : model->weights()) parameters += t.numel();
  // The loss curve: mean train loss over each block of --save-every steps.
  nlohmann::json curve = nlohmann::json::array();
  const auto& l = trainer.losses();
  for (int64_t s = 0; s < o.steps; s += save_every) {
    int64_t e = std::min(o.steps, s + save_every);
    double mean = 0;
    for (int64_t i = s; i < e; ++i) mean += l[static_cast<size_t>(i)];
    curve.push_back({{"steps", nlohmann::json::array({s + 1, e})}, {"mean_loss", mean / static_cast<double>(e - s)}});
  }
  m["directory"] = out_dir.string();
  m["config"] = config;
  m["parameters"] = parameters;
  m["first_loss"] = l.front();
  m["final_loss"] = curve.back()["mean_loss"];
  m["loss_curve"] = curve;
  m["resumed_from_step"] = resumed_step;
  doc_.add_timing("train_" + arch, train_s);
  doc_.add_timing("evaluate_" + arch, seconds_since(t1));
  return m;
}

void pair_run::run() {
  at::Device device = parse_device(args_.get("device"));
  if (!device.is_cpu()) fail("train_tiny_pair: only --device cpu is supported");
  if (args_.get_int("llama-ffn") % 2 != 0) fail("train_tiny_pair: --llama-ffn must be even (OPT's ffn_dim is 1.5x it)");
  if (args_.get_int("save-every") < 1) fail("train_tiny_pair: --save-every must be at least 1");
  work_ = work_dir_for(args_, "train_tiny_pair", "tiny-pair");
  prepare_work_dir(work_, args_);

  auto t0 = clock_type::now();
  tok_ = std::make_unique<tokenizer>(load_tokenizer(args_.get("tokenizer")));
  data_.train = tokenize_documents(*tok_, args_.get("train-data"), args_.get_int("train-skip"), args_.get_int("train-docs"));
  data_.val = tokenize_documents(*tok_, args_.get("val-data"), 0, args_.get_int("val-docs"));
  if (!args_.get("wikitext").empty()) data_.wikitext = tokenize_documents(*tok_, args_.get("wikitext"), 0, 0);
  data_.unigram = unigram_log_probs(data_.train, tok_->id_limit());
  protocol_ = parse_ppl_protocol("nonoverlap", args_.get_int("seq"), 0, std::nullopt);
  doc_.add_timing("tokenize", seconds_since(t0));
  std::cerr << fmt::format("train_tiny_pair: {} training tokens, {} validation tokens\n", data_.train.size(), data_.val.size());

  nlohmann::json models = nlohmann::json::object();
  models["opt"] = train_model("opt", opt_config(args_, *tok_));
  models["llama"] = train_model("llama", llama_config(args_, *tok_));

  nlohmann::json unigram = nlohmann::json::object();
  unigram["val"] = score(unigram_perplexity(data_.unigram, data_.val, protocol_));
  if (!data_.wikitext.empty()) unigram["wikitext2_test"] = score(unigram_perplexity(data_.unigram, data_.wikitext, protocol_));

  lm_train_options o = train_options();
  doc_.add_input_files("tokenizer", tok_->files());
  doc_.add_input_files("train-data", {args_.get("train-data")});
  doc_.add_input_files("val-data", {args_.get("val-data")});
  if (!args_.get("wikitext").empty()) doc_.add_input_files("wikitext", {args_.get("wikitext")});
  for (const char* arch : {"opt", "llama"}) doc_.add_input_files(std::string(arch) + "_model", checkpoint(models[arch]["directory"]).files());
  doc_.set_seed("init_and_batches", o.seed);
  doc_.set_environment(describe_environment(device));
  doc_.metrics()["protocol"] = protocol_.id();
  doc_.metrics()["models"] = models;
  doc_.metrics()["unigram"] = unigram;
  doc_.metrics()["tokens"] = {{"train_stream", data_.train.size()},
                              {"trained_per_model", o.steps * o.batch * o.seq_len},
                              {"epochs", static_cast<double>(o.steps * o.batch * o.seq_len) / static_cast<double>(data_.train.size())},
                              {"val_stream", data_.val.size()},
                              {"wikitext_stream", data_.wikitext.size()}};
  doc_.metrics()["schedule"] = {{"optimizer", "AdamW(betas 0.9, 0.95; eps 1e-8; weight decay on matrices only)"},
                                {"lr", fmt::format("linear warm-up over {} steps to {}, cosine to {}", o.warmup, o.lr, o.min_lr)},
                                {"grad_clip", o.grad_clip}};
  for (const char* arch : {"opt", "llama"})
    std::cout << fmt::format("{}: {} parameters, validation perplexity {:.3f} (train loss {:.4f} -> {:.4f})\n", arch,
                             models[arch]["parameters"].get<int64_t>(), models[arch]["val"]["perplexity"].get<double>(),
                             models[arch]["first_loss"].get<double>(), models[arch]["final_loss"].get<double>());
  std::cout << fmt::format("unigram (add-one, training tokens): validation perplexity {:.3f}\n",
                           unigram["val"]["perplexity"].get<double>());
  std::cout << "result: " << doc_.write(args_.get("out"), "tiny-pair") << "\n";
}

void run_pair(const case_args& args) { pair_run(args).run(); }

}  // namespace

experiment_case train_tiny_pair_case() {
  return {"train_tiny_pair",
          1,
          "the shipped architecture-controlled pair data/models/tiny-pair-opt and tiny-pair-llama",
          "train a tiny OPT (LayerNorm, ReLU, learned positions) and Llama (RMSNorm, SwiGLU, RoPE, GQA) on the same tokens",
          {{"tokenizer", "data/models/tinystories-656k", "directory with the tokenizer both models use (its files are copied)"},
           {"train-data", "../shared/data/eval/c4/c4_validation_2k.jsonl", "training documents (.jsonl, \"text\" per line)"},
           {"train-skip", "400", "documents skipped at the start of train-data (the first 400 are data/eval/c4's slices)"},
           {"train-docs", "0", "training documents after the skipped ones (0: all)"},
           {"val-data", "data/eval/c4/c4-validation-first200.jsonl", "held-out documents for validation perplexity"},
           {"val-docs", "0", "validation documents (0: all)"},
           {"wikitext", "data/eval/wikitext-2-raw/wiki.test.raw", "text also scored (WikiText-2 test); empty: none"},
           {"layers", "4", "decoder layers of each model"},
           {"hidden", "128", "hidden size d"},
           {"heads", "4", "attention heads (OPT and Llama query heads)"},
           {"kv-heads", "2", "Llama key/value heads (GQA)"},
           {"llama-ffn", "384", "Llama intermediate_size; OPT's ffn_dim is 1.5x it (same MLP parameters)"},
           {"seq", "128", "training sequence length = max_position_embeddings = validation window"},
           {"batch", "16", "sequences per step"},
           {"steps", "1000", "optimizer steps per model"},
           {"lr", "3e-3", "peak learning rate"},
           {"min-lr", "3e-4", "final learning rate of the cosine decay"},
           {"warmup", "50", "linear warm-up steps"},
           {"weight-decay", "0.1", "AdamW weight decay on matrices"},
           {"seed", "0", "initial weights and batch sampling"},
           {"save-every", "50", "steps between saved training states (the units --resume continues from)"},
           {"models-out", "data/models", "folder receiving tiny-pair-opt/ and tiny-pair-llama/ (empty: under --work)"},
           {"work", "runs", "where training states are kept"},
           {"resume", "false", "true: continue from the last saved state of a run with the same configuration"},
           {"device", "cpu", "cpu only"},
           {"out", "results", "results directory"}},
          run_pair,
          // tiny: what shipped (data/models/tiny-pair-*/SOURCE.md): 6 layers, so that drift and look-ahead span
          // several blocks, and 256 positions, enough for the zero-shot prompts.
          {{"tiny", {{"wikitext", ""}, {"layers", "6"}, {"seq", "256"}, {"batch", "8"}, {"steps", "1200"}}},
           {"smoke", {{"train-docs", "40"}, {"val-docs", "10"}, {"wikitext", ""}, {"layers", "1"}, {"hidden", "32"},
                      {"heads", "2"}, {"kv-heads", "1"}, {"llama-ffn", "64"}, {"seq", "32"}, {"batch", "4"},
                      {"steps", "12"}, {"warmup", "3"}, {"save-every", "4"}, {"models-out", ""}}}}};
}

}  // namespace harness
