// metrics.h: how well a predictor's scores pick the true active set, as DejaVu's trainers report it
// (Recall, True/Classifier Sparsity -- which are counts of active units, not fractions) plus precision,
// F1, and recall at the fixed top-K that inference actually keeps.
#pragma once
#include <ATen/ATen.h>

namespace harness {

struct predictor_metrics {
  int64_t rows = 0;
  double recall = 0;          // sum of true positives / sum of true actives (DejaVu's Recall)
  double precision = 0;       // true positives / predicted actives (0 when nothing is predicted)
  double f1 = 0;
  double true_active = 0;     // mean count of truly active units per row ("True Sparsity")
  double predicted_active = 0;  // mean count predicted active per row at sigmoid >= 0.5 ("Classifier Sparsity")
  int64_t top_k = 0;          // K of recall_at_k (0: not computed)
  double recall_at_k = 0;     // recall when each row keeps its K highest-scoring units
};

// Accumulates over batches: logits [n, C] (sigmoid >= 0.5 means logit >= 0), labels [n, C] bool.
class metrics_accumulator {
 public:
  explicit metrics_accumulator(int64_t top_k) : top_k_(top_k) {}
  void add(const at::Tensor& logits, const at::Tensor& labels);
  predictor_metrics result() const;

 private:
  int64_t top_k_;
  int64_t rows_ = 0;
  double true_pos_ = 0, actual_ = 0, predicted_ = 0, true_pos_at_k_ = 0;
};

}  // namespace harness
