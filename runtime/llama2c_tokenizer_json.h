// llama2c_tokenizer_json.h: a llama2.c tokenizer as Hugging Face files, in the form transformers gives a
// Llama-2 SentencePiece BPE tokenizer: a "▁" prepend-and-replace normaliser, a BPE model with byte
// fallback (<0xXX> tokens), merges derived from the SentencePiece scores, a BOS template and the
// matching decoder. Merges follow the rule of transformers' SentencePiece converter: every split of a
// piece into two pieces of the vocabulary is a merge ranked by the whole piece's score (higher first;
// ties: longer left part, then longer right part, then vocabulary order).
#pragma once
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/llama2c.h"

namespace harness {

// The SentencePiece pieces of a llama2.c vocabulary: ' ' becomes '▁' and BOS/EOS "<s>"/"</s>". Fails,
// naming `source`, unless ids 0..2 are <unk>, BOS and EOS and ids 3..258 the byte tokens <0x00>..<0xFF>
// (the layout run.c relies on).
std::vector<std::string> llama2c_pieces(const llama2c_vocab& vocab, const std::string& source);

// Merges (left, right) in rank order, from pieces and scores (by id).
std::vector<std::pair<std::string, std::string>> sentencepiece_merges(const std::vector<std::string>& pieces,
                                                                      const std::vector<float>& scores);

// tokenizer.json and tokenizer_config.json (model_max_length = `max_length`).
nlohmann::ordered_json llama2c_tokenizer_json(const llama2c_vocab& vocab, const std::string& source);
nlohmann::ordered_json llama2c_tokenizer_config(int64_t max_length);

}  // namespace harness
