// loglikelihood.h: lm-evaluation-harness's log-likelihood requests on our models. A request is a
// context and a continuation; its score is the sum of log-softmax of the continuation's tokens, each
// given every token before it, and whether greedy decoding would have produced them.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "evals/tasks.h"
#include "runtime/model.h"
#include "runtime/tokenizer.h"

namespace harness {

struct token_request {
  std::vector<int64_t> context;       // BOS first when asked
  std::vector<int64_t> continuation;  // never empty
  bool continuation_alone = false;    // tokenised on its own: the joint tokenisation added no token
};

// lm-eval's _encode_pair: whitespace at the end of the context moves to the front of the continuation;
// the context is the context's own tokens, the continuation the tokens of context + continuation
// (tokenised together) after as many tokens as the context has. Where a token straddles the boundary,
// the model input (context + continuation) differs from the tokenised whole text, as in lm-eval.
// BOS first when `add_bos`. If the joint tokenisation has no token beyond the context's (lm-eval
// would stop on an assertion), the continuation is tokenised on its own and the request says so.
token_request encode_request(const tokenizer& tok, const ll_request& request, bool add_bos);

struct ll_score {
  double logprob = 0;   // sum over the continuation's tokens, nats
  int64_t tokens = 0;   // number of continuation tokens
  bool greedy = false;  // every continuation token is the argmax of its position
};

struct scoring_options {
  int64_t batch = 8;             // rows per forward
  // Rows that start alike -- a document's choices after its whole context, or documents after one
  // few-shot prompt head of at least `min_shared_prefix` tokens -- run that prefix once and continue
  // copies of its KV cache. Off: every row runs whole. Both give the same scores up to float rounding.
  bool share_prefixes = true;
  int64_t min_shared_prefix = 32;
  mask_source* masks = nullptr;  // every forward runs sparse as the mask source decides
  std::function<void(int64_t, int64_t)> on_rows;  // progress: (rows done, rows in all)
};

struct scored_requests {
  std::vector<ll_score> scores;  // one per request, in order
  int64_t rows = 0;              // distinct model inputs
  int64_t shared_prefixes = 0;   // prefixes run once and continued by several rows
};

// One distinct model input and the requests it serves.
struct score_row {
  std::vector<int64_t> input;  // context + continuation without its last token (cut from the left)
  std::vector<size_t> users;   // the requests it serves
  int64_t span = 0;            // the longest continuation among them: the last `span` positions score
  bool cut = false;            // cut from the left to the model's positions
  // The shortest context among the users: the input without its last span - 1 tokens.
  int64_t prefix_length() const { return static_cast<int64_t>(input.size()) - span + 1; }
};

// Rows (indices into scoring_plan::rows, none cut) that start with the same `shared` tokens, `shared`
// within every row's context.
struct prefix_group {
  int64_t shared = 0;
  std::vector<size_t> rows;
};

// The forward passes that score a list of requests, decided before any runs. A request's input is
// context + continuation without its last token, cut from the left to the model's positions (as
// lm-eval does). Requests with identical inputs share one row (MMLU's four one-token answers are one
// forward). Rows that share a prefix (see scoring_options) and fit whole form a group: one forward of
// the prefix, then the rest of its rows, `batch` at a time, continuing copies of its cache. Other rows
// run whole, longest first, `batch` at a time. Rows are padded on the right: with causal attention no
// real token sees the padding after it, so no mask is needed.
struct scoring_plan {
  std::vector<score_row> rows;
  std::vector<prefix_group> groups;  // two or more rows each
  std::vector<size_t> whole;         // rows run whole, longest first
};

// `max_length`: the model's positions (0: no cut).
scoring_plan plan_scoring(const std::vector<token_request>& requests, int64_t max_length, const scoring_options& options);

// What a plan's forward passes compute, padding included: token positions, the keys those positions
// attend (summed over positions, per layer and head), and the positions whose logits are computed.
// scale_check turns it into FLOPs to project a task suite's time at paper scale.
struct scoring_work {
  double positions = 0, keys = 0, logit_positions = 0;
  int64_t forwards = 0;
  scoring_work& operator+=(const scoring_work& other);  // two plans run one after the other
  scoring_work times(double count) const;               // the same plan run `count` times
};
scoring_work plan_work(const scoring_plan& plan, int64_t batch);

// Scores every request by the plan plan_scoring makes for this model.
scored_requests score_requests(causal_lm& model, const std::vector<token_request>& requests,
                               const scoring_options& options = {});

}  // namespace harness
