// trainer.h: trains one layer's predictor as DejaVu's trainer_mlp.py / trainer_att.py do: class-weighted
// BCE with per-element weight y (1 - w) + w, w = mean(y) of the batch + offset (negatives down-weighted), AdamW,
// the last `test_fraction` of the rows held out, early stop on test recall (patience epochs without
// improvement, or recall above stop_recall), the best epoch kept. Deterministic for a seed on CPU.
#pragma once
#include <functional>
#include <vector>

#include <ATen/ATen.h>

#include "predictors/metrics.h"
#include "predictors/predictor.h"
#include "predictors/set_stability.h"

namespace harness {

struct train_options {
  int64_t rank = 1000;
  bool relu = false;
  double lr = 1e-3;             // DejaVu: 1e-3 (MLP, run_c4_mlp.sh), 1e-4 (attention, run_c4_att.sh)
  double weight_decay = 0.01;
  int64_t batch = 1024;
  int64_t max_epochs = 20;
  int64_t patience = 5;
  double stop_recall = 0.99;
  double test_fraction = 0.05;
  double weight_offset = 0.005;  // DejaVu: 0.005 for the MLP, 0 for attention
  int64_t top_k = 0;             // K for recall_at_k (0: none)
  uint64_t seed = 0;             // weight init and shuffling
};

// Turns rows of the recorded target [n, C] (activations or head norms) into bool labels [n, C'].
using label_fn = std::function<at::Tensor(const at::Tensor& target_rows)>;

struct epoch_record {
  int64_t epoch = 0;  // 0 = before training
  double train_loss = 0;
  predictor_metrics test;
};

struct train_result {
  predictor net{nullptr};
  predictor_metrics best;  // test metrics of the kept epoch
  int64_t best_epoch = 0;
  std::vector<epoch_record> epochs;
  int64_t train_rows = 0, test_rows = 0;
};

// x [N, d] and target [N, C] row-aligned (e.g. memory-mapped float16); out = C' label columns.
train_result train_predictor(const at::Tensor& x, const at::Tensor& target, int64_t out, const label_fn& labels,
                             const train_options& options);
// Metrics of a trained predictor on rows [begin, end).
predictor_metrics evaluate_predictor(predictor& net, const at::Tensor& x, const at::Tensor& target, const label_fn& labels,
                                     int64_t begin, int64_t end, int64_t top_k, int64_t batch);
// Over rows [begin, end): the Jaccard overlap of the true top-k set (the k largest |target| among the
// nonzero ones: top_k_nonzero) with as many units as it holds, picked by the predictor's highest scores
// -- e.g. the MLP neurons that matter at layer l against the set picked from the hidden state n blocks
// earlier. Rows where nothing is active are not counted.
jaccard_summary predicted_set_jaccard(predictor& net, const at::Tensor& x, const at::Tensor& target, int64_t begin,
                                      int64_t end, int64_t k, int64_t batch);

}  // namespace harness
