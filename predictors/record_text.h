// record_text.h: runs documents through the model, prefill only, and feeds the recorder: each document
// tokenised (with BOS where the tokenizer adds one), cut to `seqlen` tokens, batched with right padding
// that the recorder skips, until the recorder's row limit or the documents run out.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "predictors/recorder.h"
#include "runtime/model.h"
#include "runtime/tokenizer.h"

namespace harness {

struct record_stats {
  int64_t documents = 0;  // documents run (in part, for the last)
  int64_t tokens = 0;     // real tokens run
};

record_stats record_documents(causal_lm& model, const tokenizer& tok, const std::vector<std::string>& documents,
                              int64_t seqlen, int64_t batch, activation_recorder& recorder,
                              const std::function<void(int64_t rows, int64_t limit)>& on_batch);

}  // namespace harness
