#include "predictors/metrics.h"

#include "predictors/labels.h"
#include "runtime/error.h"
#include "runtime/tensor_util.h"

namespace harness {

void metrics_accumulator::add(const at::Tensor& logits, const at::Tensor& labels) {
  if (logits.sizes() != labels.sizes() || labels.scalar_type() != at::kBool)
    fail("metrics: logits {} and bool labels {} must have one shape", shape_str(logits.sizes()), shape_str(labels.sizes()));
  at::Tensor predicted = logits >= 0;  // [n, C]
  rows_ += labels.size(0);
  true_pos_ += (predicted & labels).sum().item<double>();
  actual_ += labels.sum().item<double>();
  predicted_ += predicted.sum().item<double>();
  if (top_k_ > 0) true_pos_at_k_ += (top_k_mask(logits, top_k_) & labels).sum().item<double>();
}

predictor_metrics metrics_accumulator::result() const {
  predictor_metrics m;
  m.rows = rows_;
  if (rows_ == 0) return m;
  m.recall = actual_ > 0 ? true_pos_ / actual_ : 0;
  m.precision = predicted_ > 0 ? true_pos_ / predicted_ : 0;
  m.f1 = m.recall + m.precision > 0 ? 2 * m.recall * m.precision / (m.recall + m.precision) : 0;
  m.true_active = actual_ / static_cast<double>(rows_);
  m.predicted_active = predicted_ / static_cast<double>(rows_);
  m.top_k = top_k_;
  m.recall_at_k = top_k_ > 0 && actual_ > 0 ? true_pos_at_k_ / actual_ : 0;
  return m;
}

}  // namespace harness
