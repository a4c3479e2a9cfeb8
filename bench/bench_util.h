// bench_util.h: what the benchmarks share: the machine's measured memory bandwidth, resident-memory
// readings, and the synthetic Llama-3.2-1B-shaped checkpoint (written once, then reused).
#pragma once
#include <string>

namespace harness::bench {

// Bytes per second of a streaming read over 1 GiB (a multi-threaded sum), measured once per process.
double measured_read_bandwidth();
// Current and peak (since the last reset) resident set size of this process, in bytes.
uint64_t current_rss_bytes();
uint64_t peak_rss_bytes();
void reset_peak_rss();
// Directory of a random-weight bf16 checkpoint with Llama-3.2-1B's shapes ($HARNESS_BENCH_DIR or /tmp).
std::string synthetic_llama_1b_dir();
std::string source_dir();

}  // namespace harness::bench
