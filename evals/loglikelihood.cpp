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

// Rows that start with the same `shared` tokens (none cut; `shared` within every row's context).
struct prefix_group {
  int64_t shared = 0;
  std::vector<const score_row*> rows;
};

int64_t common_length(const std::vector<int64_t>& a, const std::vector<int64_t>& b, int64_t limit) {
  int64_t n = 0;
  while (n < limit && a[n] == b[n]) ++n;
  return n;
}

// Rows in token order (rows sharing a prefix are then adjacent), cut into runs that share a prefix: a
// row joins the run before it when they share at least min(min_shared, the run's prefix, the row's
// context) tokens -- a whole context (a document's choices) or a long prompt head (a few-shot prompt).
std::vector<prefix_group> group_by_prefix(std::vector<const score_row*> rows, int64_t min_shared) {
  std::sort(rows.begin(), rows.end(), [](const score_row* a, const score_row* b) { return a->input < b->input; });
  std::vector<prefix_group> groups;
  for (const score_row* row : rows) {
    if (!groups.empty()) {
      prefix_group& g = groups.back();
      int64_t limit = std::min(g.shared, row->prefix_length());
      int64_t common = common_length(g.rows.front()->input, row->input, limit);
      if (common >= std::min(min_shared, limit)) {
        g.shared = common;
        g.rows.push_back(row);
        continue;
      }
    }
    groups.push_back({row->prefix_length(), {row}});
  }
  return groups;
}

// One group: its prefix runs once (its last position predicts the token after it), then its rows,
// `batch` at a time, continue copies of the prefix's cache with the rest of their inputs, right-padded.
void score_shared_prefix(causal_lm& model, const prefix_group& group, const std::vector<token_request>& requests,
                         const scoring_options& options, std::vector<ll_score>& scores, const std::function<void(int64_t)>& done) {
  const int64_t p = group.shared;
  const std::vector<int64_t>& first_input = group.rows.front()->input;
  int64_t capacity = 0;
  for (const score_row* row : group.rows) capacity = std::max<int64_t>(capacity, static_cast<int64_t>(row->input.size()));
  kv_cache cache = model.make_cache(1, capacity);
  forward_options head;
  head.cache = &cache;
  head.dynamic_masks = options.masks;
  head.last_position_only = true;
  at::Tensor prefix = at::tensor(std::vector<int64_t>(first_input.begin(), first_input.begin() + p), at::kLong).unsqueeze(0);  // [1, p]
  at::Tensor next = log_softmax_cpu(model.forward({prefix.to(model.device()), {}, {}}, head).logits.select(1, -1));  // [1, V]

  const size_t step = static_cast<size_t>(std::max<int64_t>(options.batch, 1));
  for (size_t first = 0; first < group.rows.size(); first += step) {
    size_t count = std::min(step, group.rows.size() - first);
    std::vector<std::vector<int64_t>> rests;  // [count] each row's input after the prefix (may be empty)
    bool any = false;
    for (size_t k = 0; k < count; ++k) {
      const std::vector<int64_t>& input = group.rows[first + k]->input;
      rests.emplace_back(input.begin() + p, input.end());
      any = any || !rests.back().empty();
    }
    at::Tensor logits;  // [count, longest rest, V]
    if (any) {
      kv_cache copies = cache.repeat_rows(static_cast<int64_t>(count));
      forward_options rest;
      rest.cache = &copies;
      rest.dynamic_masks = options.masks;
      logits = model.forward({right_padded(rests).to(model.device()), {}, {}}, rest).logits;
    }
    for (size_t k = 0; k < count; ++k) {
      const score_row& row = *group.rows[first + k];
      // The positions predicting the last `span` tokens: the rest's last ones, and the prefix's last
      // position when the first scored token directly follows the prefix.
      int64_t length = static_cast<int64_t>(rests[k].size());
      int64_t from_rest = std::min(row.span, length);
      at::Tensor logp = from_rest > 0 ? log_softmax_cpu(logits[static_cast<int64_t>(k)].narrow(0, length - from_rest, from_rest))
                                      : at::Tensor();  // [from_rest, V]
      if (from_rest < row.span) logp = logp.defined() ? at::cat({next, logp}) : next;
      score_users(row, logp, requests, scores);
    }
    done(static_cast<int64_t>(count));
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
  std::vector<const score_row*> whole, uncut;
  for (const score_row& row : rows) (options.share_prefixes && !row.cut ? uncut : whole).push_back(&row);
  scored_requests out;
  out.scores.resize(requests.size());
  out.rows = static_cast<int64_t>(rows.size());
  int64_t done = 0;
  auto progress = [&](int64_t more) {
    done += more;
    if (options.on_rows) options.on_rows(done, out.rows);
  };
  for (const prefix_group& group : group_by_prefix(uncut, options.min_shared_prefix)) {
    if (group.rows.size() < 2) {
      whole.push_back(group.rows.front());
      continue;
    }
    score_shared_prefix(model, group, requests, options, out.scores, progress);
    ++out.shared_prefixes;
  }
  score_whole_rows(model, whole, requests, options, out.scores, progress);
  return out;
}

}  // namespace harness
