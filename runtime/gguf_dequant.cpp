// gguf_dequant.cpp: ggml's type table and the dequantisation of its block formats to float32. Each
// block stores float16 scale(s) and packed small integers; the arithmetic is done in float32 in the same
// order as llama.cpp's reference dequantisers (and gguf-py's), so results match bit for bit.
#include "runtime/gguf_dequant.h"

#include <cstring>

#include "runtime/error.h"

namespace harness {

namespace {

constexpr uint32_t qk = 32;     // values per block of the simple quants
constexpr uint32_t qk_k = 256;  // values per super-block of the k-quants

struct type_row {
  uint32_t id;
  ggml_type_traits traits;
};

// Sizes as in ggml.c's type_traits (and gguf-py's GGML_QUANT_SIZES).
const type_row type_table[] = {
    {0, {"F32", 1, 4, true}},          {1, {"F16", 1, 2, true}},
    {2, {"Q4_0", qk, 18, true}},       {3, {"Q4_1", qk, 20, true}},
    {6, {"Q5_0", qk, 22, true}},       {7, {"Q5_1", qk, 24, true}},
    {8, {"Q8_0", qk, 34, true}},       {9, {"Q8_1", qk, 36, false}},
    {10, {"Q2_K", qk_k, 84, false}},   {11, {"Q3_K", qk_k, 110, false}},
    {12, {"Q4_K", qk_k, 144, true}},   {13, {"Q5_K", qk_k, 176, true}},
    {14, {"Q6_K", qk_k, 210, true}},   {15, {"Q8_K", qk_k, 292, false}},
    {16, {"IQ2_XXS", qk_k, 66, false}}, {17, {"IQ2_XS", qk_k, 74, false}},
    {18, {"IQ3_XXS", qk_k, 98, false}}, {19, {"IQ1_S", qk_k, 50, false}},
    {20, {"IQ4_NL", qk, 18, false}},   {21, {"IQ3_S", qk_k, 110, false}},
    {22, {"IQ2_S", qk_k, 82, false}},  {23, {"IQ4_XS", qk_k, 136, false}},
    {24, {"I8", 1, 1, false}},         {25, {"I16", 1, 2, false}},
    {26, {"I32", 1, 4, false}},        {27, {"I64", 1, 8, false}},
    {28, {"F64", 1, 8, false}},        {29, {"IQ1_M", qk_k, 56, false}},
    {30, {"BF16", 1, 2, true}},        {34, {"TQ1_0", qk_k, 54, false}},
    {35, {"TQ2_0", qk_k, 66, false}},  {39, {"MXFP4", qk, 17, false}},
    {40, {"NVFP4", 64, 36, false}},    {41, {"Q1_0", 128, 18, false}},
};

uint16_t read_u16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint32_t read_u32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) | (static_cast<uint32_t>(p[2]) << 16) |
         (static_cast<uint32_t>(p[3]) << 24);
}
float read_half(const uint8_t* p) { return half_to_float(read_u16(p)); }

// Q4_0 block (18 bytes): d f16, qs[16]; value j < 16 is the low nibble of qs[j], j >= 16 the high nibble
// of qs[j - 16]; x = d * (q - 8).
void q4_0_block(const uint8_t* b, float* y) {
  float d = read_half(b);
  const uint8_t* qs = b + 2;
  for (uint32_t j = 0; j < qk / 2; ++j) {
    y[j] = d * static_cast<float>((qs[j] & 0x0F) - 8);
    y[j + qk / 2] = d * static_cast<float>((qs[j] >> 4) - 8);
  }
}

// Q4_1 block (20 bytes): d f16, m f16, qs[16]; x = d * q + m.
void q4_1_block(const uint8_t* b, float* y) {
  float d = read_half(b), m = read_half(b + 2);
  const uint8_t* qs = b + 4;
  for (uint32_t j = 0; j < qk / 2; ++j) {
    y[j] = d * static_cast<float>(qs[j] & 0x0F) + m;
    y[j + qk / 2] = d * static_cast<float>(qs[j] >> 4) + m;
  }
}

// The 5-bit value j of a Q5 block: its nibble, and bit j of the 32-bit qh as bit 4.
int q5_value(const uint8_t* qs, uint32_t qh, uint32_t j) {
  int low = j < qk / 2 ? (qs[j] & 0x0F) : (qs[j - qk / 2] >> 4);
  return low | static_cast<int>(((qh >> j) & 1u) << 4);
}

// Q5_0 block (22 bytes): d f16, qh u32, qs[16]; x = d * (q - 16).
void q5_0_block(const uint8_t* b, float* y) {
  float d = read_half(b);
  uint32_t qh = read_u32(b + 2);
  for (uint32_t j = 0; j < qk; ++j) y[j] = d * static_cast<float>(q5_value(b + 6, qh, j) - 16);
}

// Q5_1 block (24 bytes): d f16, m f16, qh u32, qs[16]; x = d * q + m.
void q5_1_block(const uint8_t* b, float* y) {
  float d = read_half(b), m = read_half(b + 2);
  uint32_t qh = read_u32(b + 4);
  for (uint32_t j = 0; j < qk; ++j) y[j] = d * static_cast<float>(q5_value(b + 8, qh, j)) + m;
}

// Q8_0 block (34 bytes): d f16, qs int8[32]; x = d * q.
void q8_0_block(const uint8_t* b, float* y) {
  float d = read_half(b);
  for (uint32_t j = 0; j < qk; ++j) y[j] = d * static_cast<float>(static_cast<int8_t>(b[2 + j]));
}

// The 6-bit scale and min of sub-block j (0..7) packed in the 12 scale bytes of Q4_K/Q5_K: sub-blocks
// 0..3 use the low 6 bits of bytes j and j + 4; sub-blocks 4..7 take their low 4 bits from byte j + 4
// (low / high nibble) and their top 2 bits from the top bits of bytes j - 4 / j.
void k_scale_min(const uint8_t* s, uint32_t j, int& scale, int& min) {
  if (j < 4) {
    scale = s[j] & 63;
    min = s[j + 4] & 63;
  } else {
    scale = (s[j + 4] & 0x0F) | ((s[j - 4] >> 6) << 4);
    min = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
  }
}

// Q4_K super-block (144 bytes): d f16, dmin f16, scales[12], qs[128]. Eight sub-blocks of 32 values;
// sub-block 2i holds the low nibbles of qs[32i .. 32i+31], 2i+1 the high nibbles;
// x = (d * scale) * q - (dmin * min).
void q4_k_block(const uint8_t* b, float* y) {
  float d = read_half(b), dmin = read_half(b + 2);
  const uint8_t* scales = b + 4;
  const uint8_t* qs = b + 16;
  for (uint32_t sub = 0; sub < 8; ++sub) {
    int sc = 0, mn = 0;
    k_scale_min(scales, sub, sc, mn);
    float d1 = d * static_cast<float>(sc), m1 = dmin * static_cast<float>(mn);
    const uint8_t* q = qs + 32 * (sub / 2);
    int shift = (sub % 2) * 4;
    for (uint32_t l = 0; l < 32; ++l) y[32 * sub + l] = d1 * static_cast<float>((q[l] >> shift) & 0x0F) - m1;
  }
}

// Q5_K super-block (176 bytes): d f16, dmin f16, scales[12], qh[32], qs[128]. As Q4_K, with bit `sub` of
// qh[l] as bit 4 of value l of sub-block `sub`.
void q5_k_block(const uint8_t* b, float* y) {
  float d = read_half(b), dmin = read_half(b + 2);
  const uint8_t* scales = b + 4;
  const uint8_t* qh = b + 16;
  const uint8_t* qs = b + 48;
  for (uint32_t sub = 0; sub < 8; ++sub) {
    int sc = 0, mn = 0;
    k_scale_min(scales, sub, sc, mn);
    float d1 = d * static_cast<float>(sc), m1 = dmin * static_cast<float>(mn);
    const uint8_t* q = qs + 32 * (sub / 2);
    int shift = (sub % 2) * 4;
    for (uint32_t l = 0; l < 32; ++l) {
      int v = ((q[l] >> shift) & 0x0F) | (((qh[l] >> sub) & 1) << 4);
      y[32 * sub + l] = d1 * static_cast<float>(v) - m1;
    }
  }
}

// Q6_K super-block (210 bytes): ql[128], qh[64], scales int8[16], d f16. Two halves of 128 values; in
// half h, value 32r + l (r = 0..3) has its low 4 bits from ql[64h + l + 32 (r % 2)] (low nibble for
// r < 2, high for r >= 2) and its top 2 bits from bits 2r..2r+1 of qh[32h + l]; each 16 values share
// one scale; x = (d * scale) * (q - 32).
void q6_k_block(const uint8_t* b, float* y) {
  const uint8_t* ql = b;
  const uint8_t* qh = b + 128;
  const uint8_t* scales = b + 192;
  float d = read_half(b + 208);
  for (uint32_t h = 0; h < 2; ++h) {
    for (uint32_t r = 0; r < 4; ++r) {
      for (uint32_t l = 0; l < 32; ++l) {
        uint32_t index = 128 * h + 32 * r + l;
        int low = (ql[64 * h + l + 32 * (r % 2)] >> (4 * (r / 2))) & 0x0F;
        int high = (qh[32 * h + l] >> (2 * r)) & 0x03;
        float scale = d * static_cast<float>(static_cast<int8_t>(scales[index / 16]));
        y[index] = scale * static_cast<float>((low | (high << 4)) - 32);
      }
    }
  }
}

}  // namespace

std::optional<ggml_type_traits> ggml_traits(uint32_t type_id) {
  for (const type_row& row : type_table)
    if (row.id == type_id) return row.traits;
  return std::nullopt;
}

ggml_type_traits ggml_traits(ggml_type t) {
  auto traits = ggml_traits(static_cast<uint32_t>(t));
  if (!traits) fail("ggml type {} is not defined", static_cast<uint32_t>(t));
  return *traits;
}

float half_to_float(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  uint32_t exponent = (h >> 10) & 0x1F;
  uint32_t mantissa = h & 0x3FF;
  uint32_t bits;
  if (exponent == 0x1F) {
    bits = sign | 0x7F800000u | (mantissa << 13);  // Inf, NaN
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);  // normal: rebias 15 -> 127
  } else if (mantissa == 0) {
    bits = sign;  // zero
  } else {
    // Subnormal half: normalise the mantissa into a normal float.
    int e = 113;
    while ((mantissa & 0x400) == 0) {
      mantissa <<= 1;
      --e;
    }
    bits = sign | (static_cast<uint32_t>(e) << 23) | ((mantissa & 0x3FF) << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

float bf16_to_float(uint16_t b) {
  uint32_t bits = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

void dequantize_row(ggml_type t, const uint8_t* src, float* dst, size_t n, const std::string& what) {
  ggml_type_traits traits = ggml_traits(t);
  if (!traits.dequantizable)
    fail("{}: ggml type {} cannot be dequantised (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, "
         "Q4_K, Q5_K, Q6_K)", what, traits.name);
  if (n % traits.block_elements != 0)
    fail("{}: {} values are not a whole number of {} blocks of {}", what, n, traits.name, traits.block_elements);
  size_t blocks = n / traits.block_elements;
  void (*block_fn)(const uint8_t*, float*) = nullptr;
  switch (t) {
    case ggml_type::f32:
      std::memcpy(dst, src, n * 4);
      return;
    case ggml_type::f16:
      for (size_t i = 0; i < n; ++i) dst[i] = half_to_float(read_u16(src + 2 * i));
      return;
    case ggml_type::bf16:
      for (size_t i = 0; i < n; ++i) dst[i] = bf16_to_float(read_u16(src + 2 * i));
      return;
    case ggml_type::q4_0: block_fn = q4_0_block; break;
    case ggml_type::q4_1: block_fn = q4_1_block; break;
    case ggml_type::q5_0: block_fn = q5_0_block; break;
    case ggml_type::q5_1: block_fn = q5_1_block; break;
    case ggml_type::q8_0: block_fn = q8_0_block; break;
    case ggml_type::q4_k: block_fn = q4_k_block; break;
    case ggml_type::q5_k: block_fn = q5_k_block; break;
    case ggml_type::q6_k: block_fn = q6_k_block; break;
    default: fail("{}: ggml type {} has no dequantiser", what, traits.name);
  }
  for (size_t i = 0; i < blocks; ++i)
    block_fn(src + i * traits.block_bytes, dst + i * traits.block_elements);
}

}  // namespace harness
