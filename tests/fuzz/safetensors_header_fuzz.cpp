// libFuzzer target: the safetensors header parser must either accept an input whose tensors tile the data
// exactly, or reject it with harness_error -- never crash, hang, overflow or read out of bounds.
#include <cstddef>
#include <cstdint>

#include "runtime/error.h"
#include "runtime/safetensors_header.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    harness::st_header h = harness::parse_safetensors_header(data, size, "fuzz-input");
    uint64_t covered = 0;
    for (const auto& t : h.tensors) covered += t.end - t.begin;
    if (h.data_start + covered != size) __builtin_trap();  // accepted headers must tile the file exactly
  } catch (const harness::harness_error&) {
  }
  return 0;
}
