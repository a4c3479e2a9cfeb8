#include "predictors/trainer.h"

#include <cmath>
#include <iostream>

#include <torch/optim/adamw.h>

#include "predictors/labels.h"
#include "runtime/error.h"
#include "runtime/tensor_util.h"

namespace harness {

namespace {

at::Tensor rows_of(const at::Tensor& table, const at::Tensor& index) {
  return table.index_select(0, index).to(at::kFloat);  // [n, cols]
}

}  // namespace

predictor_metrics evaluate_predictor(predictor& net, const at::Tensor& x, const at::Tensor& target, const label_fn& labels,
                                     int64_t begin, int64_t end, int64_t top_k, int64_t batch) {
  torch::NoGradGuard no_grad;
  net->eval();
  metrics_accumulator acc(top_k);
  for (int64_t start = begin; start < end; start += batch) {
    int64_t n = std::min(batch, end - start);
    acc.add(net->forward(x.narrow(0, start, n).to(at::kFloat)), labels(target.narrow(0, start, n)));
  }
  return acc.result();
}

jaccard_summary predicted_set_jaccard(predictor& net, const at::Tensor& x, const at::Tensor& target, int64_t begin,
                                      int64_t end, int64_t k, int64_t batch) {
  if (k < 1 || k > target.size(1)) fail("predicted_set_jaccard: k = {} outside 1..{}", k, target.size(1));
  torch::NoGradGuard no_grad;
  net->eval();
  jaccard_accumulator acc;
  for (int64_t start = begin; start < end; start += batch) {
    int64_t n = std::min(batch, end - start);
    at::Tensor truth = top_k_nonzero(target.narrow(0, start, n), k);                          // [n, C]
    at::Tensor scores = net->forward(x.narrow(0, start, n).to(at::kFloat));                    // [n, C]
    at::Tensor rank = scores.argsort(1, /*descending=*/true).argsort(1, /*descending=*/false);  // [n, C]: 0 = highest
    acc.add(rank < truth.sum(1, /*keepdim=*/true), truth);  // the predictor's top |truth| of each row
  }
  return acc.result();
}

train_result train_predictor(const at::Tensor& x, const at::Tensor& target, int64_t out, const label_fn& labels,
                             const train_options& o) {
  if (x.dim() != 2 || target.dim() != 2 || x.size(0) != target.size(0))
    fail("train_predictor: inputs {} and targets {} must be row-aligned tables", shape_str(x.sizes()), shape_str(target.sizes()));
  int64_t rows = x.size(0);
  int64_t test_rows = static_cast<int64_t>(std::ceil(o.test_fraction * static_cast<double>(rows)));
  int64_t train_rows = rows - test_rows;
  if (test_rows < 1 || train_rows < 1) fail("train_predictor: {} rows cannot be split {:.0f}% train / {:.0f}% test", rows,
                                            100 * (1 - o.test_fraction), 100 * o.test_fraction);
  if (o.batch < 1 || o.max_epochs < 0 || o.patience < 1) fail("train_predictor: batch and patience must be >= 1");

  torch::manual_seed(o.seed);  // weight init
  at::Generator shuffle = at::detail::createCPUGenerator(o.seed + 1);
  train_result r;
  r.train_rows = train_rows;
  r.test_rows = test_rows;
  r.net = predictor(predictor_shape{x.size(1), o.rank, out, o.relu});
  torch::optim::AdamW optimizer(r.net->parameters(), torch::optim::AdamWOptions(o.lr).weight_decay(o.weight_decay));

  auto evaluate = [&] { return evaluate_predictor(r.net, x, target, labels, train_rows, rows, o.top_k, o.batch); };
  r.best = evaluate();
  r.epochs.push_back({0, NAN, r.best});
  auto best_state = [&] {
    std::vector<at::Tensor> copy;
    for (const auto& p : r.net->parameters()) copy.push_back(p.detach().clone());
    return copy;
  };
  std::vector<at::Tensor> kept = best_state();
  int64_t since_best = 0;
  for (int64_t epoch = 1; epoch <= o.max_epochs && since_best < o.patience && r.best.recall <= o.stop_recall; ++epoch) {
    r.net->train();
    at::Tensor order = at::randperm(train_rows, shuffle, at::TensorOptions().dtype(at::kLong));  // [train_rows]
    double loss_sum = 0;
    int64_t batches = 0;
    for (int64_t start = 0; start < train_rows; start += o.batch) {
      at::Tensor index = order.narrow(0, start, std::min(o.batch, train_rows - start));
      at::Tensor y = labels(target.index_select(0, index)).to(at::kFloat);  // [n, out]
      at::Tensor probs = at::sigmoid(r.net->forward(rows_of(x, index)));
      at::Tensor w = y.mean() + o.weight_offset;
      at::Tensor loss = at::binary_cross_entropy(probs, y, y * (1 - w) + w);
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
      loss_sum += loss.item<double>();
      ++batches;
    }
    predictor_metrics m = evaluate();
    r.epochs.push_back({epoch, loss_sum / static_cast<double>(batches), m});
    if (m.recall > r.best.recall) {
      r.best = m;
      r.best_epoch = epoch;
      kept = best_state();
      since_best = 0;
    } else {
      ++since_best;
    }
  }
  torch::NoGradGuard no_grad;
  auto params = r.net->parameters();
  for (size_t i = 0; i < params.size(); ++i) params[i].copy_(kept[i]);
  return r;
}

}  // namespace harness
