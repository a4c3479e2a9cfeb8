#include "evals/loglikelihood.h"

#include <algorithm>
#include <map>

#include <c10/core/GradMode.h>

#include "runtime/error.h"

namespace harness {

token_request encode_request(const tokenizer& tok, const ll_request& request, bool add_bos) {
  std::string context = request.context, continuation = request.continuation;
  size_t keep = context.find_last_not_of(" \t\n\r\f\v") + 1;  // npos + 1 == 0: all whitespace
  continuation = context.substr(keep) + continuation;
  context.resize(keep);
  if (context.empty()) fail("log-likelihood request: the context is empty or only whitespace");
  std::vector<int32_t> whole = tok.encode(context + continuation, add_bos);
  std::vector<int32_t> head = tok.encode(context, add_bos);
  token_request r;
  r.context.assign(head.begin(), head.end());
  if (whole.size() > head.size()) {
    r.continuation.assign(whole.begin() + static_cast<std::ptrdiff_t>(head.size()), whole.end());
    return r;
  }
  // The whole text has no more tokens than the context alone (a tokenizer that ends tokens with their
  // spaces can merge " ground" into the context's last token): the continuation is tokenised alone.
  std::vector<int32_t> alone = tok.encode(continuation, false);
  if (alone.empty()) fail("log-likelihood request: continuation '{}' has no tokens", continuation);
  r.continuation.assign(alone.begin(), alone.end());
  r.continuation_alone = true;
  return r;
}

std::vector<ll_score> score_requests(causal_lm& model, const std::vector<token_request>& requests, int64_t batch,
                                     const std::function<void(int64_t, int64_t)>& on_rows, mask_source* masks) {
  c10::NoGradGuard no_grad;
  const int64_t max_length = model.config().max_position_embeddings;
  // One row per distinct input; each request remembers its row.
  std::map<std::vector<int64_t>, size_t> row_of;
  std::vector<std::vector<int64_t>> rows;
  std::vector<std::vector<size_t>> users;  // per row: the requests it serves
  for (size_t i = 0; i < requests.size(); ++i) {
    const token_request& r = requests[i];
    if (r.context.empty() || r.continuation.empty()) fail("log-likelihood request {}: empty context or continuation", i);
    std::vector<int64_t> input = r.context;
    input.insert(input.end(), r.continuation.begin(), r.continuation.end() - 1);
    if (max_length > 0 && static_cast<int64_t>(input.size()) > max_length) {
      if (static_cast<int64_t>(r.continuation.size()) > max_length)
        fail("log-likelihood request {}: {} continuation tokens exceed the model's {} positions", i,
             r.continuation.size(), max_length);
      input.erase(input.begin(), input.end() - max_length);
    }
    auto [it, added] = row_of.emplace(std::move(input), rows.size());
    if (added) {
      rows.push_back(it->first);
      users.emplace_back();
    }
    users[it->second].push_back(i);
  }
  std::vector<size_t> order(rows.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return rows[a].size() > rows[b].size(); });

  std::vector<ll_score> scores(requests.size());
  const size_t step = static_cast<size_t>(std::max<int64_t>(batch, 1));
  for (size_t first = 0; first < order.size(); first += step) {
    size_t count = std::min(step, order.size() - first);
    int64_t width = static_cast<int64_t>(rows[order[first]].size());
    at::Tensor input = at::zeros({static_cast<int64_t>(count), width}, at::kLong);  // [b, T], right-padded with 0
    for (size_t k = 0; k < count; ++k) {
      const std::vector<int64_t>& row = rows[order[first + k]];
      input[static_cast<int64_t>(k)].narrow(0, 0, static_cast<int64_t>(row.size())).copy_(at::tensor(row, at::kLong));
    }
    forward_options options;
    options.dynamic_masks = masks;
    at::Tensor logits = model.forward({input.to(model.device()), {}, {}}, options).logits;  // [b, T, V]
    for (size_t k = 0; k < count; ++k) {
      size_t row = order[first + k];
      int64_t length = static_cast<int64_t>(rows[row].size());
      int64_t span = 0;  // the longest continuation this row serves
      for (size_t u : users[row]) span = std::max<int64_t>(span, static_cast<int64_t>(requests[u].continuation.size()));
      // Position p predicts token p + 1; the continuation's n tokens are predicted by the last n positions.
      at::Tensor logp = at::log_softmax(logits[static_cast<int64_t>(k)].narrow(0, length - span, span).to(at::kFloat), -1)
                            .cpu();  // [span, V]
      at::Tensor best = logp.argmax(-1);  // [span]
      for (size_t u : users[row]) {
        const std::vector<int64_t>& cont = requests[u].continuation;
        int64_t n = static_cast<int64_t>(cont.size());
        at::Tensor target = at::tensor(cont, at::kLong);                                      // [n]
        at::Tensor picked = logp.narrow(0, span - n, n).gather(1, target.unsqueeze(1)).squeeze(1);  // [n]
        scores[u].logprob = picked.to(at::kDouble).sum().item<double>();
        scores[u].tokens = n;
        scores[u].greedy = best.narrow(0, span - n, n).equal(target);
      }
    }
    if (on_rows) on_rows(static_cast<int64_t>(first + count), static_cast<int64_t>(order.size()));
  }
  return scores;
}

}  // namespace harness
