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

int64_t common_length(const std::vector<int64_t>& a, const std::vector<int64_t>& b, int64_t limit) {
  int64_t n = 0;
  while (n < limit && a[n] == b[n]) ++n;
  return n;
}

// Rows in token order (rows sharing a prefix are then adjacent), cut into runs that share a prefix: a
// row joins the run before it when they share at least min(min_shared, the run's prefix, the row's
// context) tokens -- a whole context (a document's choices) or a long prompt head (a few-shot prompt).
std::vector<prefix_group> group_by_prefix(const std::vector<score_row>& all, std::vector<size_t> rows, int64_t min_shared) {
  std::sort(rows.begin(), rows.end(), [&](size_t a, size_t b) { return all[a].input < all[b].input; });
  std::vector<prefix_group> groups;
  for (size_t row : rows) {
    if (!groups.empty()) {
      prefix_group& g = groups.back();
      int64_t limit = std::min(g.shared, all[row].prefix_length());
      int64_t common = common_length(all[g.rows.front()].input, all[row].input, limit);
      if (common >= std::min(min_shared, limit)) {
        g.shared = common;
        g.rows.push_back(row);
        continue;
      }
    }
    groups.push_back({all[row].prefix_length(), {row}});
  }
  return groups;
}

// One group: its prefix runs once (its last position predicts the token after it), then its rows,
// `batch` at a time, continue copies of the prefix's cache with the rest of their inputs, right-padded.
void score_shared_prefix(causal_lm& model, const scoring_plan& plan, const prefix_group& group,
                         const std::vector<token_request>& requests, const scoring_options& options,
                         std::vector<ll_score>& scores, const std::function<void(int64_t)>& done) {
  const int64_t p = group.shared;
  const std::vector<int64_t>& first_input = plan.rows[group.rows.front()].input;
  int64_t capacity = 0;
  for (size_t row : group.rows) capacity = std::max<int64_t>(capacity, static_cast<int64_t>(plan.rows[row].input.size()));
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
      const std::vector<int64_t>& input = plan.rows[group.rows[first + k]].input;
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
      const score_row& row = plan.rows[group.rows[first + k]];
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

// The plan's whole rows (longest first), `batch` at a time, right-padded.
void score_whole_rows(causal_lm& model, const scoring_plan& plan, const std::vector<token_request>& requests,
                      const scoring_options& options, std::vector<ll_score>& scores, const std::function<void(int64_t)>& done) {
  const size_t step = static_cast<size_t>(std::max<int64_t>(options.batch, 1));
  for (size_t first = 0; first < plan.whole.size(); first += step) {
    size_t count = std::min(step, plan.whole.size() - first);
    std::vector<std::vector<int64_t>> inputs;
    for (size_t k = 0; k < count; ++k) inputs.push_back(plan.rows[plan.whole[first + k]].input);
    forward_options forward;
    forward.dynamic_masks = options.masks;
    at::Tensor logits = model.forward({right_padded(inputs).to(model.device()), {}, {}}, forward).logits;  // [b, T, V]
    for (size_t k = 0; k < count; ++k) {
      const score_row& row = plan.rows[plan.whole[first + k]];
      int64_t length = static_cast<int64_t>(row.input.size());
      // Position p predicts token p + 1; the last `span` tokens are predicted by the last span positions.
      score_users(row, log_softmax_cpu(logits[static_cast<int64_t>(k)].narrow(0, length - row.span, row.span)), requests, scores);
    }
    done(static_cast<int64_t>(count));
  }
}

// Sum of 1..n: the keys n consecutive causal positions attend after none.
double triangle(double n) { return n * (n + 1) / 2; }

}  // namespace

scoring_plan plan_scoring(const std::vector<token_request>& requests, int64_t max_length, const scoring_options& options) {
  scoring_plan plan;
  plan.rows = distinct_rows(requests, max_length);
  std::vector<size_t> uncut;
  for (size_t i = 0; i < plan.rows.size(); ++i) (options.share_prefixes && !plan.rows[i].cut ? uncut : plan.whole).push_back(i);
  for (prefix_group& group : group_by_prefix(plan.rows, uncut, options.min_shared_prefix)) {
    if (group.rows.size() < 2)
      plan.whole.push_back(group.rows.front());
    else
      plan.groups.push_back(std::move(group));
  }
  std::stable_sort(plan.whole.begin(), plan.whole.end(),
                   [&](size_t a, size_t b) { return plan.rows[a].input.size() > plan.rows[b].input.size(); });
  return plan;
}

scoring_work& scoring_work::operator+=(const scoring_work& other) {
  positions += other.positions;
  keys += other.keys;
  logit_positions += other.logit_positions;
  forwards += other.forwards;
  return *this;
}

scoring_work scoring_work::times(double count) const {
  return {positions * count, keys * count, logit_positions * count,
          static_cast<int64_t>(static_cast<double>(forwards) * count)};
}

scoring_work plan_work(const scoring_plan& plan, int64_t batch) {
  const size_t step = static_cast<size_t>(std::max<int64_t>(batch, 1));
  scoring_work w;
  for (const prefix_group& group : plan.groups) {
    const double p = static_cast<double>(group.shared);
    w.positions += p;  // the prefix once; only its last position's logits
    w.keys += triangle(p);
    w.logit_positions += 1;
    ++w.forwards;
    for (size_t first = 0; first < group.rows.size(); first += step) {
      size_t count = std::min(step, group.rows.size() - first);
      double width = 0;  // the longest rest in the batch
      for (size_t k = 0; k < count; ++k)
        width = std::max(width, static_cast<double>(plan.rows[group.rows[first + k]].input.size()) - p);
      if (width == 0) continue;
      w.positions += static_cast<double>(count) * width;
      w.keys += static_cast<double>(count) * (width * p + triangle(width));
      w.logit_positions += static_cast<double>(count) * width;
      ++w.forwards;
    }
  }
  for (size_t first = 0; first < plan.whole.size(); first += step) {
    size_t count = std::min(step, plan.whole.size() - first);
    const double width = static_cast<double>(plan.rows[plan.whole[first]].input.size());  // longest first
    w.positions += static_cast<double>(count) * width;
    w.keys += static_cast<double>(count) * triangle(width);
    w.logit_positions += static_cast<double>(count) * width;
    ++w.forwards;
  }
  return w;
}

scored_requests score_requests(causal_lm& model, const std::vector<token_request>& requests, const scoring_options& options) {
  c10::NoGradGuard no_grad;
  const scoring_plan plan = plan_scoring(requests, model.config().max_position_embeddings, options);
  scored_requests out;
  out.scores.resize(requests.size());
  out.rows = static_cast<int64_t>(plan.rows.size());
  out.shared_prefixes = static_cast<int64_t>(plan.groups.size());
  int64_t done = 0;
  auto progress = [&](int64_t more) {
    done += more;
    if (options.on_rows) options.on_rows(done, out.rows);
  };
  for (const prefix_group& group : plan.groups) score_shared_prefix(model, plan, group, requests, options, out.scores, progress);
  score_whole_rows(model, plan, requests, options, out.scores, progress);
  return out;
}

}  // namespace harness
