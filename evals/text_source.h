// text_source.h: how a perplexity run turns a data file into the one token stream its protocol
// (evals/perplexity.h) scores. Sparsity papers differ here as much as in the windows, so the choice is
// named, versioned and recorded in every result:
//   text.raw@1                        the file as it is, tokenised once.
//   text.hf_rows@1                    GPTQ/SparseGPT/Wanda's WikiText-2: the rows of Hugging Face's
//                                     wikitext-2-raw-v1 (each line of the raw file with its newline, blank
//                                     lines as ""), joined with "\n\n", tokenised once.
//   text.docs_join@1{docs,windows}    SparseGPT/Wanda's C4: the first `docs` documents of a .jsonl joined
//                                     with " ", tokenised once, cut to windows x seqlen tokens.
//   text.docs_sample@1{windows,seed}  GPTQ's C4: random.seed(seed), then `windows` times: random.randint
//                                     documents until one has >= seqlen tokens, one random window of it.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "runtime/tokenizer.h"

namespace harness {

struct text_source {
  std::string kind = "raw";  // raw, hf_rows, docs_join or docs_sample
  int64_t docs = 1100;       // docs_join
  int64_t windows = 256;     // docs_join (truncation) and docs_sample (count)
  uint64_t seed = 0;         // docs_sample

  std::string id() const;  // e.g. "text.docs_join@1{docs=1100,windows=256}"
};
text_source parse_text_source(const std::string& kind, int64_t docs, int64_t windows, int64_t seed);

struct token_stream {
  std::vector<int64_t> ids;  // the stream the protocol windows
  std::string text_sha256;   // of the joined text (raw, hf_rows, docs_join); empty for docs_sample
  std::vector<std::pair<int64_t, int64_t>> samples;  // docs_sample: (document index, first token) per window
};

// Builds the stream of `source` from `path`; `seqlen` is the protocol's window (docs_join, docs_sample).
token_stream build_token_stream(const text_source& source, const std::string& path, const tokenizer& tok,
                                int64_t seqlen);

// Hugging Face's wikitext rows of a raw file, "\n\n"-joined (the text GPTQ tokenises).
std::string hf_wikitext_rows_joined(const std::string& raw);

// GPTQ's C4 sampling over `num_docs` documents, `tokens_of(d)` giving document d's token count:
// (document, first token) per window.
std::vector<std::pair<int64_t, int64_t>> sample_document_windows(int64_t num_docs,
                                                                 const std::function<int64_t(int64_t)>& tokens_of,
                                                                 int64_t seqlen, int64_t windows, uint64_t seed);

}  // namespace harness
