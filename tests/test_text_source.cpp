// Text sources of the perplexity protocols (evals/text_source.h) against the Python that defines them
// (tests/oracle/gptq_texts.py: Hugging Face's wikitext rows, GPTQ's random.seed/randint C4 sampling).
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "artifact/process.h"
#include "evals/documents.h"
#include "evals/text_source.h"
#include "runtime/error.h"
#include "runtime/sha256.h"
#include "runtime/text_file.h"
#include "tests/test_support.h"

namespace harness {
namespace {

std::string oracle(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {HARNESS_PYTHON, (test::project_dir() / "tests/oracle/gptq_texts.py").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_checked(argv);
}

std::string joined_summary(const std::string& raw) {
  std::string joined = hf_wikitext_rows_joined(raw);
  return fmt::format("{} {}\n", sha256_string(joined), joined.size());
}

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

}  // namespace

CATCH_TEST_CASE("text source: hf_rows equals Hugging Face's wikitext rows joined by GPTQ", "[text_source]") {
  std::string wiki = (test::project_dir() / "data/eval/wikitext-2-raw/wiki.test.raw").string();
  CATCH_CHECK(joined_summary(read_text_file(wiki)) == oracle({"hf-rows", wiki}));

  // Blank lines of other whitespace (tab, U+00A0, U+3000, \x1c), CRLF and CR line ends, no final newline.
  test::temp_dir dir("text_source");
  std::string crafted = " = Title = \n \t \nfirst line\r\n\xc2\xa0\n\xe3\x80\x80 \r\x1c\nlast line";
  write_file(dir.path() / "crafted.raw", crafted);
  CATCH_CHECK(joined_summary(crafted) == oracle({"hf-rows", (dir.path() / "crafted.raw").string()}));
  // Rows "a\n", "" and "b\n", joined by "\n\n".
  CATCH_CHECK(hf_wikitext_rows_joined("a\n \nb\n") == "a\n\n\n\n\nb\n");
}

CATCH_TEST_CASE("text source: docs_sample draws GPTQ's C4 windows", "[text_source]") {
  // Documents of lengths on both sides of seqlen = 64 (none equal), so the draw loop rejects short ones.
  std::vector<int64_t> lengths;
  std::string csv;
  for (int64_t d = 0; d < 97; ++d) {
    int64_t n = 20 + (d * 37) % 150;
    lengths.push_back(n == 64 ? 65 : n);
    if (!csv.empty()) csv += ',';
    csv += std::to_string(lengths.back());
  }
  for (uint64_t seed : {0u, 7u}) {
    auto samples = sample_document_windows(
        static_cast<int64_t>(lengths.size()), [&](int64_t d) { return lengths.at(d); }, 64, 50, seed);
    std::string ours;
    for (const auto& [doc, first] : samples) ours += fmt::format("{} {}\n", doc, first);
    CATCH_CHECK(ours == oracle({"sample", std::to_string(seed), "64", "50", csv}));
  }
  // GPTQ's randint(0, -1) fails on a document of exactly seqlen tokens; so does this, clearly.
  CATCH_CHECK_THROWS_WITH(sample_document_windows(1, [](int64_t) { return int64_t{64}; }, 64, 1, 0),
                          Catch::Contains("exactly seqlen = 64"));
  CATCH_CHECK_THROWS_WITH(sample_document_windows(3, [](int64_t) { return int64_t{10}; }, 64, 1, 0),
                          Catch::Contains("no document of at least 64 tokens"));
}

CATCH_TEST_CASE("text source: docs_join and docs_sample build their token streams", "[text_source]") {
  tokenizer tok = load_tokenizer((test::project_dir() / "data/models/tinystories-656k").string());
  test::temp_dir dir("text_source");
  std::string jsonl = (dir.path() / "docs.jsonl").string();
  write_file(jsonl, "{\"text\": \"Once upon a time there was a cat.\"}\n{\"text\": \"The cat sat on a mat.\"}\n"
                    "{\"text\": \"It was a sunny day and the children played in the park all afternoon.\"}\n");

  token_stream joined = build_token_stream(parse_text_source("docs_join", 2, 1, 0), jsonl, tok, 1000);
  std::vector<int32_t> expected = tok.encode("Once upon a time there was a cat. The cat sat on a mat.");
  CATCH_CHECK(joined.ids == std::vector<int64_t>(expected.begin(), expected.end()));
  CATCH_CHECK(joined.text_sha256 == sha256_string("Once upon a time there was a cat. The cat sat on a mat."));
  token_stream cut = build_token_stream(parse_text_source("docs_join", 3, 2, 0), jsonl, tok, 4);
  CATCH_CHECK(cut.ids.size() == 8);

  token_stream sampled = build_token_stream(parse_text_source("docs_sample", 1, 3, 0), jsonl, tok, 8);
  CATCH_REQUIRE(sampled.samples.size() == 3);
  CATCH_CHECK(sampled.ids.size() == 24);
  for (size_t w = 0; w < 3; ++w) {
    auto [doc, first] = sampled.samples[w];
    std::vector<int32_t> ids = tok.encode(read_documents(jsonl).at(doc));
    CATCH_CHECK(std::equal(sampled.ids.begin() + w * 8, sampled.ids.begin() + (w + 1) * 8, ids.begin() + first));
  }

  CATCH_CHECK_THROWS_WITH(build_token_stream(parse_text_source("docs_join", 5, 1, 0), jsonl, tok, 8),
                          Catch::Contains("3 documents") && Catch::Contains("first 5"));
  std::string raw = (dir.path() / "plain.txt").string();
  write_file(raw, "plain text");
  CATCH_CHECK_THROWS_WITH(build_token_stream(parse_text_source("docs_sample", 1, 1, 0), raw, tok, 8),
                          Catch::Contains("plain.txt") && Catch::Contains(".jsonl"));
  CATCH_CHECK_THROWS_WITH(parse_text_source("c4", 1, 1, 0), Catch::Contains("unknown text source 'c4'"));
  CATCH_CHECK_THROWS_WITH(parse_text_source("docs_join", 0, 1, 0), Catch::Contains("--docs"));
}

}  // namespace harness
