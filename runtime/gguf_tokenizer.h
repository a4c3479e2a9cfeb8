// gguf_tokenizer.h: a Hugging Face tokenizer.json and tokenizer_config.json made from a GGUF file's
// tokenizer.ggml.* metadata. Supported: tokenizer.ggml.model "gpt2" (byte-level BPE: tokens, merges,
// token_type) with the pre-tokeniser tokenizer.ggml.pre names ("default"/"gpt2": GPT-2's pattern;
// "smollm": every digit on its own, then GPT-2's pattern, as llama.cpp splits). Control tokens
// (token_type 3) become special added tokens, user-defined ones (4) plain added tokens. Others fail,
// naming the file and the value.
#pragma once
#include <nlohmann/json.hpp>

#include "runtime/gguf.h"

namespace harness {

nlohmann::json gguf_tokenizer_json(const gguf_file& file);
// bos/eos/unk/pad tokens, add_bos_token / add_eos_token, model_max_length, chat_template.
nlohmann::json gguf_tokenizer_config(const gguf_file& file);

}  // namespace harness
