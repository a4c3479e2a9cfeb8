// gguf_dequant.h: ggml's tensor types (numbered as in GGUF files), their block sizes, and dequantisation
// to float32 of the types the harness reads: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 (blocks of 32)
// and the k-quants Q4_K, Q5_K, Q6_K (super-blocks of 256). Every other known type has its size (so a
// file holding it can be opened) but dequantising it fails, naming the type. Torch-free.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace harness {

enum class ggml_type : uint32_t {
  f32 = 0, f16 = 1, q4_0 = 2, q4_1 = 3, q5_0 = 6, q5_1 = 7, q8_0 = 8, q8_1 = 9,
  q2_k = 10, q3_k = 11, q4_k = 12, q5_k = 13, q6_k = 14, q8_k = 15,
  iq2_xxs = 16, iq2_xs = 17, iq3_xxs = 18, iq1_s = 19, iq4_nl = 20, iq3_s = 21, iq2_s = 22, iq4_xs = 23,
  i8 = 24, i16 = 25, i32 = 26, i64 = 27, f64 = 28, iq1_m = 29, bf16 = 30, tq1_0 = 34, tq2_0 = 35,
  mxfp4 = 39, nvfp4 = 40, q1_0 = 41,
};

struct ggml_type_traits {
  const char* name;       // as llama.cpp prints it: "Q4_1"
  uint32_t block_elements;  // values per block
  uint32_t block_bytes;     // bytes per block
  bool dequantizable;       // supported by dequantize_row below
};

// The traits of a type id read from a file; nullopt for an id ggml does not define.
std::optional<ggml_type_traits> ggml_traits(uint32_t type_id);
ggml_type_traits ggml_traits(ggml_type t);

// Dequantises `n` values (a multiple of the type's block size) from `src` into `dst`. `what` names the
// file and tensor for the error when the type is not supported.
void dequantize_row(ggml_type t, const uint8_t* src, float* dst, size_t n, const std::string& what);

// IEEE half and bfloat16 bit patterns to float (exact).
float half_to_float(uint16_t h);
float bf16_to_float(uint16_t b);

}  // namespace harness
