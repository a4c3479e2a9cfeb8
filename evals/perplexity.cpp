#include "evals/perplexity.h"

#include <cmath>

#include <c10/core/GradMode.h>

#include "runtime/error.h"

namespace harness {

std::string ppl_protocol::id() const {
  if (kind == "nonoverlap") return fmt::format("ppl.nonoverlap@1{{seqlen={}}}", window);
  if (kind == "sliding") return fmt::format("ppl.sliding@1{{max_len={},stride={}}}", window, stride);
  return fmt::format("ppl.halfwin@1{{n_ctx={},bos={}}}", window, bos_id ? std::to_string(*bos_id) : "none");
}

ppl_protocol parse_ppl_protocol(const std::string& kind, int64_t window, int64_t stride, std::optional<int64_t> bos_id) {
  if (kind != "nonoverlap" && kind != "sliding" && kind != "halfwin")
    fail("perplexity protocol '{}' is unknown (nonoverlap, sliding, halfwin)", kind);
  if (window < 2) fail("perplexity: the window must hold at least 2 tokens, got {}", window);
  if (kind == "halfwin" && window < 4) fail("perplexity: halfwin needs n_ctx >= 4, got {}", window);
  if (kind == "sliding" && (stride < 1 || stride > window))
    fail("perplexity: sliding needs 1 <= stride <= max_len, got stride {} and max_len {}", stride, window);
  ppl_protocol p;
  p.kind = kind;
  p.window = window;
  p.stride = stride;
  if (kind == "halfwin") p.bos_id = bos_id;
  return p;
}

std::vector<ppl_window> plan_windows(const ppl_protocol& p, int64_t n) {
  std::vector<ppl_window> windows;
  if (p.kind == "nonoverlap" || p.kind == "halfwin") {
    int64_t first = p.kind == "nonoverlap" ? 1 : p.window / 2 + 1;
    for (int64_t start = 0; start + p.window <= n; start += p.window) windows.push_back({start, p.window, first});
  } else {
    int64_t prev_end = 0;
    for (int64_t begin = 0; begin < n; begin += p.stride) {
      int64_t end = std::min(begin + p.window, n);
      int64_t new_tokens = end - prev_end;
      windows.push_back({begin, end - begin, std::max<int64_t>(1, end - new_tokens - begin)});
      prev_end = end;
      if (end == n) break;
    }
  }
  if (windows.empty()) fail("perplexity: {} tokens are too few for {}", n, p.id());
  return windows;
}

ppl_result evaluate_perplexity(causal_lm& model, const std::vector<int64_t>& ids, const ppl_protocol& protocol,
                               int64_t batch, int64_t max_windows,
                               const std::function<void(int64_t, int64_t)>& on_window, mask_source* masks) {
  c10::NoGradGuard no_grad;
  std::vector<ppl_window> plan = plan_windows(protocol, static_cast<int64_t>(ids.size()));
  if (max_windows > 0 && static_cast<int64_t>(plan.size()) > max_windows) plan.resize(max_windows);
  at::Tensor stream = at::tensor(ids, at::kLong);  // [N]
  double sum = 0, sum_sq = 0;
  ppl_result r;
  forward_options options;
  options.dynamic_masks = masks;
  for (size_t i = 0; i < plan.size();) {
    // A batch of consecutive windows of equal length and equal first target.
    size_t j = i + 1;
    while (j < plan.size() && j - i < static_cast<size_t>(std::max<int64_t>(batch, 1)) &&
           plan[j].length == plan[i].length && plan[j].first_target == plan[i].first_target)
      ++j;
    std::vector<at::Tensor> rows;
    for (size_t w = i; w < j; ++w) rows.push_back(stream.narrow(0, plan[w].start, plan[w].length));
    at::Tensor input = at::stack(rows);  // [b, T]
    if (protocol.bos_id) input.select(1, 0).fill_(*protocol.bos_id);
    int64_t first = plan[i].first_target, length = plan[i].length;
    at::Tensor logits = model.forward({input, {}, {}}, options).logits;  // [b, T, V]
    at::Tensor predicting = logits.narrow(1, first - 1, length - first).to(at::kFloat);   // [b, n, V]
    at::Tensor targets = input.narrow(1, first, length - first).to(predicting.device());  // [b, n]
    at::Tensor nll = -at::log_softmax(predicting, -1).gather(-1, targets.unsqueeze(-1)).squeeze(-1).to(at::kDouble).cpu();
    for (int64_t b = 0; b < nll.size(0); ++b) r.window_mean_nll.push_back(nll[b].mean().item<double>());
    sum += nll.sum().item<double>();
    sum_sq += nll.pow(2).sum().item<double>();
    r.tokens_scored += nll.numel();
    i = j;
    if (on_window) on_window(static_cast<int64_t>(i), static_cast<int64_t>(plan.size()));
  }
  r.windows = static_cast<int64_t>(plan.size());
  r.mean_nll = sum / static_cast<double>(r.tokens_scored);
  double n = static_cast<double>(r.tokens_scored);
  double variance = r.tokens_scored > 1 ? std::max(0.0, (sum_sq - n * r.mean_nll * r.mean_nll) / (n - 1)) : 0.0;
  r.nll_stderr = std::sqrt(variance / n);
  r.perplexity = std::exp(r.mean_nll);
  return r;
}

}  // namespace harness
