// perplexity.h: named, versioned perplexity protocols over one token stream. Each protocol says which
// windows of the stream are run and which of their tokens are scored; every result records the id.
//   ppl.nonoverlap@1{seqlen}    GPTQ/SparseGPT/Wanda: non-overlapping windows, tail dropped, every
//                               token after the first of each window scored (seqlen - 1 per window).
//   ppl.sliding@1{max_len,stride} Hugging Face's strided window: windows start every `stride` tokens,
//                               only the tokens not scored by the previous window are scored.
//   ppl.halfwin@1{n_ctx}        llama.cpp: non-overlapping n_ctx chunks, first token replaced by BOS
//                               when the tokenizer adds one, only positions n_ctx/2+1 .. n_ctx-1 scored.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "runtime/model.h"

namespace harness {

struct ppl_protocol {
  std::string kind;        // "nonoverlap", "sliding" or "halfwin"
  int64_t window = 2048;   // seqlen / max_len / n_ctx
  int64_t stride = 512;    // sliding only
  std::optional<int64_t> bos_id;  // halfwin: written over each chunk's first token when set

  std::string id() const;  // e.g. "ppl.nonoverlap@1{seqlen=2048}"
};
ppl_protocol parse_ppl_protocol(const std::string& kind, int64_t window, int64_t stride, std::optional<int64_t> bos_id);

// One window of the stream: tokens [start, start + length), targets at window positions
// first_target .. length-1 (each predicted from the logits of the position before it).
struct ppl_window {
  int64_t start = 0, length = 0, first_target = 1;
};
std::vector<ppl_window> plan_windows(const ppl_protocol& protocol, int64_t num_tokens);

struct ppl_result {
  double perplexity = 0;   // exp(mean_nll)
  double mean_nll = 0;     // nats per scored token
  double nll_stderr = 0;   // standard error of mean_nll over scored tokens
  int64_t tokens_scored = 0;
  int64_t windows = 0;
  std::vector<double> window_mean_nll;  // per window, for bootstrap or per-document views
};

// Scores `ids` under `protocol` (at most max_windows windows when > 0), `batch` windows per forward;
// with `masks`, every forward runs sparse as the mask source decides.
ppl_result evaluate_perplexity(causal_lm& model, const std::vector<int64_t>& ids, const ppl_protocol& protocol,
                               int64_t batch, int64_t max_windows,
                               const std::function<void(int64_t done, int64_t total)>& on_window = {},
                               mask_source* masks = nullptr);

}  // namespace harness
