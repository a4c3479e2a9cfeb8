// lm_trainer.h: next-token training of a causal_lm through its own forward (the one every case runs):
// AdamW on the model's weights() (made trainable in place), linear warm-up then cosine decay of the
// learning rate, gradient-norm clipping, and batches drawn from a token stream by (seed, step) alone.
// The state (weights, optimizer moments, step, losses) is saved and restored exactly, so a run resumed
// from a saved state equals an uninterrupted one.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <torch/optim/adamw.h>

#include "runtime/model.h"

namespace harness {

struct lm_train_options {
  int64_t steps = 100;        // optimizer steps in the whole run (the schedule's length)
  int64_t batch = 8;          // sequences per step
  int64_t seq_len = 128;      // input tokens per sequence (targets are the next tokens)
  double lr = 3e-3;           // peak learning rate
  double min_lr = 3e-4;       // learning rate at the end of the cosine decay
  int64_t warmup = 10;        // steps of linear warm-up from lr / warmup to lr
  double weight_decay = 0.1;  // decoupled, on matrices (dim >= 2) only
  double grad_clip = 1.0;     // max global gradient L2 norm
  uint64_t seed = 0;          // batch sampling
};

// Learning rate of step `step` (0-based).
double lr_at(const lm_train_options& o, int64_t step);

// [batch, seq_len + 1] int64 windows of `stream`, at offsets drawn from (seed, step) alone.
at::Tensor batch_at(const std::vector<int64_t>& stream, const lm_train_options& o, int64_t step);

class lm_trainer {
 public:
  lm_trainer(causal_lm& model, lm_train_options options);

  int64_t step() const { return step_; }
  const std::vector<double>& losses() const { return losses_; }  // train loss of every step so far
  // Runs step step() on batch_at(stream, ..., step()) and returns its mean cross-entropy (nats/token).
  double train_step(const std::vector<int64_t>& stream);
  // dir/model.safetensors (the weights under their checkpoint names), dir/optimizer.pt, dir/state.json.
  void save(const std::string& dir) const;
  void load(const std::string& dir);

 private:
  causal_lm& model_;
  lm_train_options options_;
  std::vector<at::Tensor> params_;
  std::unique_ptr<torch::optim::AdamW> optimizer_;
  int64_t step_ = 0;
  std::vector<double> losses_;
};

}  // namespace harness
