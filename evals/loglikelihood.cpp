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

namespace {

// One distinct model input and the requests it serves.
struct score_row {
  std::vector<int64_t> input;  // context + continuation without its last token (cut from the left)
  std::vector<size_t> users;   // the requests it serves
  int64_t span = 0;            // the longest continuation among them: the last `span` positions score
  bool cut = false;            // cut from the left to the model's positions
  // The shortest context among the users: the input without its last span - 1 tokens.
  int64_t prefix_length() const { return static_cast<int64_t>(input.size()) - span + 1; }
};

std::vector<score_row> distinct_rows(const std::vector<token_request>& requests, int64_t max_length) {
  std::map<std::vector<int64_t>, size_t> row_of;
  std::vector<score_row> rows;
  for (size_t i = 0; i < requests.size(); ++i) {
    const token_request& r = requests[i];
    if (r.context.empty() || r.continuation.empty()) fail("log-likelihood request {}: empty context or continuation", i);
    std::vector<int64_t> input = r.context;
    input.insert(input.end(), r.continuation.begin(), r.continuation.end() - 1);
    bool cut = max_length > 0 && static_cast<int64_t>(input.size()) > max_length;
    if (cut) {
      if (static_cast<int64_t>(r.continuation.size()) > max_length)
        fail("log-likelihood request {}: {} continuation tokens exceed the model's {} positions", i,
             r.continuation.size(), max_length);
      input.erase(input.begin(), input.end() - max_length);
    }
    auto [it, added] = row_of.emplace(input, rows.size());
    if (added) rows.push_back({std::move(input), {}, 0, cut});
    score_row& row = rows[it->second];
    row.users.push_back(i);
    row.span = std::max<int64_t>(row.span, static_cast<int64_t>(r.continuation.size()));
  }
  return rows;
}

// Scores the requests a row serves from logp [span, V] (float, CPU): the log-softmax at the positions
// that predict the row's last `span` tokens.
void score_users(const score_row& row, const at::Tensor& logp, const std::vector<token_request>& requests,
                 std::vector<ll_score>& scores) {
  at::Tensor best = logp.argmax(-1);  // [span]
  for (size_t u : row.users) {
    const std::vector<int64_t>& cont = requests[u].continuation;
    int64_t n = static_cast<int64_t>(cont.size());
    at::Tensor target = at::tensor(cont, at::kLong);                                                // [n]
    at::Tensor picked = logp.narrow(0, row.span - n, n).gather(1, target.unsqueeze(1)).squeeze(1);  // [n]
    scores[u] = {picked.to(at::kDouble).sum().item<double>(), n, best.narrow(0, row.span - n, n).equal(target)};
  }
}

at::Tensor log_softmax_cpu(const at::Tensor& logits) { return at::log_softmax(logits.to(at::kFloat), -1).cpu(); }

// Rows [b] of token ids, right-padded with 0 to the longest: [b, width] int64.
at::Tensor right_padded(const std::vector<std::vector<int64_t>>& rows) {
  size_t width = 0;
  for (const auto& r : rows) width = std::max(width, r.size());
  at::Tensor input = at::zeros({static_cast<int64_t>(rows.size()), static_cast<int64_t>(width)}, at::kLong);
  for (size_t k = 0; k < rows.size(); ++k)
    if (!rows[k].empty())
      input[static_cast<int64_t>(k)].narrow(0, 0, static_cast<int64_t>(rows[k].size())).copy_(at::tensor(rows[k], at::kLong));
  return input;
}

// Rows sharing one prefix (none cut): the prefix runs once (its last position predicts each row's first
// scored token), then every row with a tail continues a copy of the prefix's cache.
void score_shared_prefix(causal_lm& model, const std::vector<const score_row*>& group, const std::vector<token_request>& requests,
                         const scoring_options& options, std::vector<ll_score>& scores) {
  const int64_t p = group.front()->prefix_length();
  const std::vector<int64_t> prefix(group.front()->input.begin(), group.front()->input.begin() + p);
  std::vector<std::vector<int64_t>> tails;  // per row with a tail: its span - 1 tokens after the prefix
  for (const score_row* row : group)
    if (row->span > 1) tails.emplace_back(row->input.begin() + p, row->input.end());
  size_t longest = 0;
  for (const auto& t : tails) longest = std::max(longest, t.size());

  kv_cache cache = model.make_cache(1, p + static_cast<int64_t>(longest));
  forward_options first;
  first.cache = &cache;
  first.dynamic_masks = options.masks;
  first.last_position_only = true;
  at::Tensor prefix_ids = at::tensor(prefix, at::kLong).unsqueeze(0).to(model.device());  // [1, p]
  at::Tensor next = log_softmax_cpu(model.forward({prefix_ids, {}, {}}, first).logits.select(1, -1));  // [1, V]

  at::Tensor tail_logp;  // [rows with a tail, longest, V]
  if (!tails.empty()) {
    kv_cache copies = cache.repeat_rows(static_cast<int64_t>(tails.size()));
    forward_options rest;
    rest.cache = &copies;
    rest.dynamic_masks = options.masks;
    tail_logp = log_softmax_cpu(model.forward({right_padded(tails).to(model.device()), {}, {}}, rest).logits);
  }
  int64_t with_tail = 0;
  for (const score_row* row : group) {
    at::Tensor logp = next;  // [span, V]
    if (row->span > 1) logp = at::cat({next, tail_logp[with_tail++].narrow(0, 0, row->span - 1)});
    score_users(*row, logp, requests, scores);
  }
}

// Rows run whole, longest first, `batch` at a time, right-padded.
void score_whole_rows(causal_lm& model, std::vector<const score_row*> rows, const std::vector<token_request>& requests,
                      const scoring_options& options, std::vector<ll_score>& scores, const std::function<void(int64_t)>& done) {
  std::stable_sort(rows.begin(), rows.end(), [](const score_row* a, const score_row* b) { return a->input.size() > b->input.size(); });
  const size_t step = static_cast<size_t>(std::max<int64_t>(options.batch, 1));
  for (size_t first = 0; first < rows.size(); first += step) {
    size_t count = std::min(step, rows.size() - first);
    std::vector<std::vector<int64_t>> inputs;
    for (size_t k = 0; k < count; ++k) inputs.push_back(rows[first + k]->input);
    forward_options forward;
    forward.dynamic_masks = options.masks;
    at::Tensor logits = model.forward({right_padded(inputs).to(model.device()), {}, {}}, forward).logits;  // [b, T, V]
    for (size_t k = 0; k < count; ++k) {
      const score_row& row = *rows[first + k];
      int64_t length = static_cast<int64_t>(row.input.size());
      // Position p predicts token p + 1; the last `span` tokens are predicted by the last span positions.
      score_users(row, log_softmax_cpu(logits[static_cast<int64_t>(k)].narrow(0, length - row.span, row.span)), requests, scores);
    }
    done(static_cast<int64_t>(count));
  }
}

}  // namespace

scored_requests score_requests(causal_lm& model, const std::vector<token_request>& requests, const scoring_options& options) {
  c10::NoGradGuard no_grad;
  std::vector<score_row> rows = distinct_rows(requests, model.config().max_position_embeddings);
  // Rows grouped by their prefix; a group of two or more uncut rows shares it.
  std::map<std::vector<int64_t>, std::vector<const score_row*>> by_prefix;
  std::vector<const score_row*> whole;
  for (const score_row& row : rows) {
    if (options.share_prefixes && !row.cut)
      by_prefix[std::vector<int64_t>(row.input.begin(), row.input.begin() + row.prefix_length())].push_back(&row);
    else
      whole.push_back(&row);
  }
  scored_requests out;
  out.scores.resize(requests.size());
  out.rows = static_cast<int64_t>(rows.size());
  int64_t done = 0;
  auto progress = [&](int64_t more) {
    done += more;
    if (options.on_rows) options.on_rows(done, out.rows);
  };
  for (const auto& [prefix, group] : by_prefix) {
    if (group.size() < 2) {
      whole.push_back(group.front());
      continue;
    }
    score_shared_prefix(model, group, requests, options, out.scores);
    ++out.shared_prefixes;
    progress(static_cast<int64_t>(group.size()));
  }
  score_whole_rows(model, whole, requests, options, out.scores, progress);
  return out;
}

}  // namespace harness
