// python_random.h: Python's random.Random (MT19937 seeded through init_by_array) for what
// lm-evaluation-harness and GPTQ draw with it: getrandbits, randint, shuffle and sample. GPQA's choice
// order comes from random.Random(42).shuffle, lm-eval's few-shot examples from random.Random(1234).sample,
// so the same seed gives the same draws here.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace harness {

class python_random {
 public:
  explicit python_random(uint64_t seed);  // random.Random(seed) for a non-negative int seed

  uint32_t next_u32();                 // genrand_uint32
  uint32_t getrandbits(int k);         // 1 <= k <= 32
  uint32_t randbelow(uint32_t n);      // random._randbelow: getrandbits(n.bit_length()) until < n

  // random.sample(range(n), k): the indices Python's sample picks from a population of n, in order.
  std::vector<size_t> sample_indices(size_t n, size_t k);

  // random.shuffle: for i from size-1 down to 1, swap x[i] with x[randbelow(i + 1)].
  template <typename T>
  void shuffle(std::vector<T>& x) {
    for (size_t i = x.size(); i-- > 1;) std::swap(x[i], x[randbelow(static_cast<uint32_t>(i + 1))]);
  }

 private:
  std::array<uint32_t, 624> state_{};
  size_t index_ = 624;
};

}  // namespace harness
