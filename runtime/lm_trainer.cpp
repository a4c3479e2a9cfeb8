#include "runtime/lm_trainer.h"

#include <cmath>
#include <filesystem>
#include <random>

#include <c10/core/GradMode.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include "runtime/error.h"
#include "runtime/json_file.h"
#include "runtime/safetensors.h"
#include "runtime/safetensors_writer.h"

namespace harness {

namespace fs = std::filesystem;

double lr_at(const lm_train_options& o, int64_t step) {
  if (step < o.warmup) return o.lr * static_cast<double>(step + 1) / static_cast<double>(o.warmup);
  double progress = static_cast<double>(step - o.warmup) / static_cast<double>(std::max<int64_t>(1, o.steps - o.warmup));
  progress = std::min(progress, 1.0);
  return o.min_lr + 0.5 * (o.lr - o.min_lr) * (1.0 + std::cos(M_PI * progress));
}

at::Tensor batch_at(const std::vector<int64_t>& stream, const lm_train_options& o, int64_t step) {
  int64_t n = static_cast<int64_t>(stream.size()), span = o.seq_len + 1;
  if (n <= span) fail("training stream has {} tokens, fewer than one sequence of {} + 1", n, o.seq_len);
  std::seed_seq seeds{static_cast<uint32_t>(o.seed), static_cast<uint32_t>(o.seed >> 32),
                      static_cast<uint32_t>(step), static_cast<uint32_t>(static_cast<uint64_t>(step) >> 32)};
  std::mt19937_64 rng(seeds);
  at::Tensor out = at::empty({o.batch, span}, at::kLong);  // [B, T + 1]
  int64_t* p = out.data_ptr<int64_t>();
  for (int64_t b = 0; b < o.batch; ++b) {
    int64_t start = static_cast<int64_t>(rng() % static_cast<uint64_t>(n - span + 1));
    std::copy(stream.begin() + start, stream.begin() + start + span, p + b * span);
  }
  return out;
}

lm_trainer::lm_trainer(causal_lm& model, lm_train_options options) : model_(model), options_(options) {
  if (model.dtype() != at::kFloat) fail("lm_trainer: training needs an f32 model");
  std::vector<at::Tensor> decay, no_decay;
  for (const auto& [name, t] : model.weights()) {
    t.requires_grad_(true);
    params_.push_back(t);
    (t.dim() >= 2 ? decay : no_decay).push_back(t);
  }
  auto adamw = [&](double wd) {
    return std::make_unique<torch::optim::AdamWOptions>(
        torch::optim::AdamWOptions(options_.lr).betas({0.9, 0.95}).eps(1e-8).weight_decay(wd));
  };
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay, adamw(options_.weight_decay));
  groups.emplace_back(no_decay, adamw(0.0));
  optimizer_ = std::make_unique<torch::optim::AdamW>(groups, *adamw(0.0));
}

double lm_trainer::train_step(const std::vector<int64_t>& stream) {
  const int64_t t = options_.seq_len;
  at::Tensor b = batch_at(stream, options_, step_);
  at::Tensor inputs = b.narrow(1, 0, t), targets = b.narrow(1, 1, t);  // [B, T] each
  for (auto& group : optimizer_->param_groups())
    static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr_at(options_, step_));
  optimizer_->zero_grad();
  forward_input in;
  in.input_ids = inputs;
  at::Tensor logits = model_.forward(in, {}).logits;  // [B, T, V]
  at::Tensor loss = at::cross_entropy_loss(logits.reshape({-1, logits.size(-1)}), targets.reshape({-1}));
  if (!loss.requires_grad())
    fail("lm_trainer: the forward recorded no gradient (grad mode is off: a NoGradGuard or InferenceMode is active)");
  loss.backward();
  torch::nn::utils::clip_grad_norm_(params_, options_.grad_clip);
  optimizer_->step();
  double value = loss.item<double>();
  if (!std::isfinite(value)) fail("lm_trainer: loss is {} at step {}", value, step_);
  losses_.push_back(value);
  ++step_;
  return value;
}

void lm_trainer::save(const std::string& dir) const {
  fs::create_directories(dir);
  named_tensors weights;
  for (const auto& [name, t] : model_.weights()) weights.emplace_back(name, t.detach());
  write_safetensors((fs::path(dir) / "model.safetensors").string(), weights);
  torch::serialize::OutputArchive archive;
  optimizer_->save(archive);
  archive.save_to((fs::path(dir) / "optimizer.pt").string());
  write_json_file_atomic((fs::path(dir) / "state.json").string(), {{"step", step_}, {"losses", losses_}});
}

void lm_trainer::load(const std::string& dir) {
  safetensors_file weights((fs::path(dir) / "model.safetensors").string());
  {
    c10::NoGradGuard no_grad;
    for (const auto& [name, t] : model_.weights()) {
      at::Tensor saved = weights.view(name);
      if (saved.sizes() != t.sizes()) fail("{}: tensor '{}' has another shape than the model's", weights.path(), name);
      t.copy_(saved);
    }
  }
  torch::serialize::InputArchive archive;
  archive.load_from((fs::path(dir) / "optimizer.pt").string());
  optimizer_->load(archive);
  nlohmann::json state = read_json_file((fs::path(dir) / "state.json").string());
  step_ = state.at("step").get<int64_t>();
  losses_ = state.at("losses").get<std::vector<double>>();
}

}  // namespace harness
