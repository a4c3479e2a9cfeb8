// Tokenising WikiText-2 test (wiki.test.raw, 1.29 MB) in one call. Target: well under a second with the
// Llama-3 tokenizer. "cold" builds a fresh tokenizer before each timed call (outside the timing), so
// its word cache starts empty; "warm" reuses one tokenizer. tinystories-656k has no pre-tokenizer, so
// its BPE runs over the whole text as one word of 1.3 M symbols: the merge loop must not be quadratic.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "bench/bench_util.h"
#include "runtime/error.h"
#include "runtime/tokenizer.h"

namespace harness::bench {
namespace {

namespace fs = std::filesystem;

fs::path shared_dir() {
  if (const char* env = std::getenv("HARNESS_SHARED")) return fs::path(env);
  return fs::path(source_dir()).parent_path() / "shared";
}

const std::string& wikitext2_test() {
  static const std::string text = [] {
    fs::path path = shared_dir() / "data/eval/wikitext-2-raw/wiki.test.raw";
    std::ifstream in(path, std::ios::binary);
    if (!in) fail("{}: cannot open", path.string());
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }();
  return text;
}

std::string llama3_path() { return (shared_dir() / "data/tokenizers/llama3-hf/tokenizer.json").string(); }
std::string tinystories_path() { return (fs::path(source_dir()) / "data/models/tinystories-656k").string(); }

void BM_tokenize_wikitext2(benchmark::State& state, const std::string& tokenizer_path, bool cold) {
  const std::string& text = wikitext2_test();
  auto tok = std::make_unique<tokenizer>(load_tokenizer(tokenizer_path));
  size_t tokens = 0;
  for (auto _ : state) {
    if (cold) {
      state.PauseTiming();
      tok = std::make_unique<tokenizer>(load_tokenizer(tokenizer_path));
      state.ResumeTiming();
    }
    std::vector<int32_t> ids = tok->encode(text, false);
    benchmark::DoNotOptimize(ids.data());
    tokens = ids.size();
  }
  state.counters["tokens"] = static_cast<double>(tokens);
  state.counters["MB"] = static_cast<double>(text.size()) / 1e6;
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}

BENCHMARK_CAPTURE(BM_tokenize_wikitext2, llama3_cold, llama3_path(), true)->Unit(benchmark::kMillisecond)->Iterations(5);
BENCHMARK_CAPTURE(BM_tokenize_wikitext2, llama3_warm, llama3_path(), false)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_tokenize_wikitext2, tinystories_cold, tinystories_path(), true)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(5);

}  // namespace
}  // namespace harness::bench

BENCHMARK_MAIN();
