// import_gguf.h: `harness import-gguf`: a Llama-architecture GGUF file (general.architecture "llama")
// becomes a Hugging Face LlamaForCausalLM directory: config.json, model.safetensors (dequantised weights
// under Hugging Face names, q/k rows put back from llama.cpp's interleaved-RoPE order into rotate-half
// order), tokenizer.json and tokenizer_config.json (gguf_tokenizer.h). The directory is built beside
// `out_dir` and renamed into place, so a failure leaves no half directory.
#pragma once
#include <string>

#include <ATen/ATen.h>

namespace harness {

struct import_gguf_options {
  std::string gguf_path;
  std::string out_dir;          // must not exist yet
  at::ScalarType dtype = at::kFloat;  // of the stored weights: kFloat or kBFloat16
};

void import_gguf(const import_gguf_options& options);

}  // namespace harness
