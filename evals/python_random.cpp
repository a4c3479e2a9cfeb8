#include "evals/python_random.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <set>
#include <vector>

#include "runtime/error.h"

namespace harness {

python_random::python_random(uint64_t seed) {
  // init_genrand(19650218), then init_by_array over the seed's 32-bit words, least significant first.
  std::vector<uint32_t> key;
  for (uint64_t s = seed; s > 0; s >>= 32) key.push_back(static_cast<uint32_t>(s));
  if (key.empty()) key.push_back(0);
  auto& mt = state_;
  mt[0] = 19650218u;
  for (uint32_t i = 1; i < 624; ++i) mt[i] = 1812433253u * (mt[i - 1] ^ (mt[i - 1] >> 30)) + i;
  size_t i = 1, j = 0;
  for (size_t k = std::max<size_t>(624, key.size()); k > 0; --k) {
    mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1664525u)) + key[j] + static_cast<uint32_t>(j);
    if (++i >= 624) {
      mt[0] = mt[623];
      i = 1;
    }
    if (++j >= key.size()) j = 0;
  }
  for (size_t k = 623; k > 0; --k) {
    mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1566083941u)) - static_cast<uint32_t>(i);
    if (++i >= 624) {
      mt[0] = mt[623];
      i = 1;
    }
  }
  mt[0] = 0x80000000u;
  index_ = 624;
}

uint32_t python_random::next_u32() {
  auto& mt = state_;
  if (index_ >= 624) {
    for (size_t k = 0; k < 624; ++k) {
      uint32_t y = (mt[k] & 0x80000000u) | (mt[(k + 1) % 624] & 0x7fffffffu);
      mt[k] = mt[(k + 397) % 624] ^ (y >> 1) ^ ((y & 1u) ? 0x9908b0dfu : 0u);
    }
    index_ = 0;
  }
  uint32_t y = mt[index_++];
  y ^= y >> 11;
  y ^= (y << 7) & 0x9d2c5680u;
  y ^= (y << 15) & 0xefc60000u;
  y ^= y >> 18;
  return y;
}

uint32_t python_random::getrandbits(int k) {
  if (k < 1 || k > 32) fail("python_random: getrandbits({}) is outside 1..32", k);
  return next_u32() >> (32 - k);
}

uint32_t python_random::randbelow(uint32_t n) {
  if (n == 0) fail("python_random: randbelow(0)");
  int k = std::bit_width(n);
  uint32_t r = getrandbits(k);
  while (r >= n) r = getrandbits(k);
  return r;
}

std::vector<size_t> python_random::sample_indices(size_t n, size_t k) {
  if (k > n) fail("python_random: sample of {} from a population of {}", k, n);
  // CPython picks by method: a shrinking pool for small populations, rejection from a set otherwise.
  size_t setsize = 21;
  if (k > 5) setsize += static_cast<size_t>(std::pow(4.0, std::ceil(std::log(static_cast<double>(k * 3)) / std::log(4.0))));
  std::vector<size_t> result(k);
  if (n <= setsize) {
    std::vector<size_t> pool(n);
    for (size_t i = 0; i < n; ++i) pool[i] = i;
    for (size_t i = 0; i < k; ++i) {
      size_t j = randbelow(static_cast<uint32_t>(n - i));
      result[i] = pool[j];
      pool[j] = pool[n - i - 1];
    }
    return result;
  }
  std::set<size_t> selected;
  for (size_t i = 0; i < k; ++i) {
    size_t j = randbelow(static_cast<uint32_t>(n));
    while (selected.count(j)) j = randbelow(static_cast<uint32_t>(n));
    selected.insert(j);
    result[i] = j;
  }
  return result;
}

}  // namespace harness
