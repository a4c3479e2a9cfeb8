// Tokenizer tests: exact agreement with llama.cpp's known-answer vectors (produced by Hugging Face
// tokenizers) for Llama-3 (tokenizer.json) and GPT-2 (vocab.json + merges.txt); decode(encode(s)) == s;
// the tinystories-656k sentence of ../shared/fixtures; BOS from the model's files; byte fallback;
// both merge serialisations; errors that name the file.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "runtime/error.h"
#include "runtime/json_file.h"
#include "runtime/tokenizer.h"
#include "tests/test_support.h"

namespace harness {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("{}: cannot open", path.string());
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

// llama.cpp's test-tokenizer-0 format: .inp holds the cases, each followed by "\n__ggml_vocab_test__\n";
// .out holds one line per case, the ids (without BOS) each preceded by a space.
struct vector_case {
  std::string text;
  std::vector<int32_t> ids;
};

std::vector<vector_case> read_vectors(const std::string& name) {
  fs::path dir = test::shared_dir() / "data" / "tokenizers" / "test-vectors";
  std::string inp = read_text(dir / (name + ".gguf.inp")), out = read_text(dir / (name + ".gguf.out"));
  const std::string separator = "\n__ggml_vocab_test__\n";
  std::vector<vector_case> cases;
  for (size_t pos = 0; pos < inp.size();) {
    size_t next = inp.find(separator, pos);
    if (next == std::string::npos) fail("{}: case without a trailing separator", name);
    cases.push_back({inp.substr(pos, next - pos), {}});
    pos = next + separator.size();
  }
  std::istringstream lines(out);
  std::string line;
  size_t i = 0;
  for (; std::getline(lines, line); ++i) {
    if (i >= cases.size()) fail("{}: more .out lines than .inp cases", name);
    std::istringstream ids(line);
    for (int32_t id; ids >> id;) cases[i].ids.push_back(id);
  }
  if (i != cases.size()) fail("{}: {} .out lines for {} .inp cases", name, i, cases.size());
  return cases;
}

const tokenizer& llama3() {
  static const tokenizer tok = load_tokenizer((test::shared_dir() / "data/tokenizers/llama3-hf/tokenizer.json").string());
  return tok;
}

const tokenizer& gpt2() {
  static const tokenizer tok = load_tokenizer((test::shared_dir() / "data/tokenizers/gpt2").string());
  return tok;
}

fs::path tinystories_dir() { return test::project_dir() / "data" / "models" / "tinystories-656k"; }

json tinystories_reference() {
  return read_json_file((test::fixture_dir("tinystories-656k") / "reference.json").string());
}

// The message of the harness_error `f` throws ("" if it throws none).
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const harness_error& e) {
    return e.what();
  }
  return "";
}

void check_vectors(const tokenizer& tok, const std::string& name) {
  std::vector<vector_case> cases = read_vectors(name);
  CATCH_REQUIRE(cases.size() >= 40);
  size_t matched = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    std::vector<int32_t> ids = tok.encode(cases[i].text, false);
    CATCH_INFO(fmt::format("{} case {}: {:?}\n  got      {}\n  expected {}", name, i, cases[i].text,
                           fmt::join(ids, " "), fmt::join(cases[i].ids, " ")));
    CATCH_CHECK(ids == cases[i].ids);
    matched += ids == cases[i].ids;
  }
  CATCH_CHECK(matched == cases.size());
}

void check_round_trip(const tokenizer& tok, const std::string& name) {
  for (const vector_case& c : read_vectors(name)) {
    CATCH_INFO(fmt::format("{}: {:?}", name, c.text));
    CATCH_CHECK(tok.decode(tok.encode(c.text, false)) == c.text);
    CATCH_CHECK(tok.decode(c.ids) == c.text);
  }
}

CATCH_TEST_CASE("llama3 tokenizer.json matches the llama-bpe known-answer vectors", "[tokenizer]") {
  check_vectors(llama3(), "ggml-vocab-llama-bpe");
}

CATCH_TEST_CASE("gpt2 vocab.json and merges.txt match the gpt-2 known-answer vectors", "[tokenizer]") {
  check_vectors(gpt2(), "ggml-vocab-gpt-2");
}

CATCH_TEST_CASE("decode reverses encode on every known-answer case", "[tokenizer]") {
  CATCH_SECTION("llama3") { check_round_trip(llama3(), "ggml-vocab-llama-bpe"); }
  CATCH_SECTION("gpt2") { check_round_trip(gpt2(), "ggml-vocab-gpt-2"); }
}

CATCH_TEST_CASE("added tokens are matched in the text before splitting", "[tokenizer]") {
  const tokenizer& tok = llama3();
  std::optional<int32_t> begin = tok.token_to_id("<|begin_of_text|>"), eot = tok.token_to_id("<|eot_id|>");
  CATCH_REQUIRE(begin);
  CATCH_REQUIRE(eot);
  std::vector<int32_t> hello = tok.encode("Hello world", false), bang = tok.encode("!", false);
  std::vector<int32_t> expected = {*begin};
  expected.insert(expected.end(), hello.begin(), hello.end());
  expected.push_back(*eot);
  expected.insert(expected.end(), bang.begin(), bang.end());
  CATCH_CHECK(tok.encode("<|begin_of_text|>Hello world<|eot_id|>!", false) == expected);
  CATCH_CHECK(tok.decode(expected) == "<|begin_of_text|>Hello world<|eot_id|>!");
  CATCH_CHECK(tok.decode(expected, true) == "Hello world!");
}

CATCH_TEST_CASE("tinystories tokenizer reproduces the fixture sentence with BOS", "[tokenizer]") {
  json ref = tinystories_reference()["sentence"];
  std::string text = ref["text"].get<std::string>();
  std::vector<int32_t> expected = ref["ids_with_bos"].get<std::vector<int32_t>>();
  std::vector<std::string> tokens = ref["tokens"].get<std::vector<std::string>>();

  tokenizer tok = load_tokenizer(tinystories_dir().string());
  CATCH_CHECK(tok.adds_bos_by_default());
  std::vector<int32_t> ids = tok.encode(text);
  CATCH_INFO("got " << fmt::format("{}", fmt::join(ids, ",")));
  CATCH_CHECK(ids == expected);
  CATCH_REQUIRE(ids.size() == tokens.size());
  for (size_t i = 0; i < ids.size(); ++i) CATCH_CHECK(tok.id_to_token(ids[i]) == tokens[i]);
  CATCH_CHECK(tok.encode(text, false) == std::vector<int32_t>(expected.begin() + 1, expected.end()));
  CATCH_CHECK(tok.decode(tok.encode(text, false)) == text);
  CATCH_CHECK(tok.decode(ids, true) == text);
  // The tokenizer.json path gives the same tokenizer as its directory.
  CATCH_CHECK(load_tokenizer((tinystories_dir() / "tokenizer.json").string()).encode(text) == expected);
}

CATCH_TEST_CASE("merges as pairs and as strings give the same tokenizer", "[tokenizer]") {
  json spec = read_json_file((tinystories_dir() / "tokenizer.json").string());
  CATCH_REQUIRE(spec["model"]["merges"][0].is_string());
  json pairs = json::array();
  for (const json& m : spec["model"]["merges"]) {
    std::string s = m.get<std::string>();
    size_t space = s.find(' ');
    pairs.push_back(json::array({s.substr(0, space), s.substr(space + 1)}));
  }
  spec["model"]["merges"] = pairs;
  test::temp_dir dir("tok-pairs");
  write_text(dir.path() / "tokenizer.json", spec.dump());
  tokenizer as_strings = load_tokenizer((tinystories_dir() / "tokenizer.json").string());
  tokenizer as_pairs = load_tokenizer((dir.path() / "tokenizer.json").string());
  std::vector<std::string> texts = {tinystories_reference()["sentence"]["text"].get<std::string>()};
  for (const vector_case& c : read_vectors("ggml-vocab-llama-bpe")) texts.push_back(c.text);
  for (const std::string& text : texts) {
    CATCH_INFO(fmt::format("{:?}", text));
    CATCH_CHECK(as_pairs.encode(text, false) == as_strings.encode(text, false));
  }
}

CATCH_TEST_CASE("byte fallback encodes unknown characters as byte tokens", "[tokenizer]") {
  json spec = read_json_file((tinystories_dir() / "tokenizer.json").string());
  tokenizer plain = load_tokenizer((tinystories_dir() / "tokenizer.json").string());
  const std::string text = "caf\xC3\xA9";  // "café": 'é' (C3 A9) is not in the 2048-token vocabulary
  CATCH_REQUIRE(!plain.token_to_id("\xC3\xA9"));
  // Without <0x..> tokens the vocabulary falls back to <unk>.
  std::optional<int32_t> unk = plain.token_to_id("<unk>");
  CATCH_REQUIRE(unk);
  std::vector<int32_t> with_unk = plain.encode(text, false);
  CATCH_CHECK(std::count(with_unk.begin(), with_unk.end(), *unk) == 1);

  // With the two byte tokens added, the character becomes them, and decodes back to its bytes.
  int32_t next = plain.id_limit();
  spec["model"]["vocab"]["<0xC3>"] = next;
  spec["model"]["vocab"]["<0xA9>"] = next + 1;
  test::temp_dir dir("tok-bytes");
  write_text(dir.path() / "tokenizer.json", spec.dump());
  tokenizer bytes = load_tokenizer((dir.path() / "tokenizer.json").string());
  std::vector<int32_t> ids = bytes.encode(text, false);
  CATCH_INFO(fmt::format("{}", fmt::join(ids, ",")));
  CATCH_REQUIRE(ids.size() >= 2);
  CATCH_CHECK(ids[ids.size() - 2] == next);
  CATCH_CHECK(ids.back() == next + 1);
  CATCH_CHECK(std::count(ids.begin(), ids.end(), *unk) == 0);
  CATCH_CHECK(bytes.decode(ids) == text);
}

CATCH_TEST_CASE("a Metaspace pre-tokenizer and decoder act like the Prepend and Replace pair", "[tokenizer]") {
  // tinystories writes SentencePiece's convention as a normalizer; Llama-2 files of newer tokenizers
  // versions write it as a Metaspace pre-tokenizer. On text not starting with a space they agree.
  json spec = read_json_file((tinystories_dir() / "tokenizer.json").string());
  spec["normalizer"] = nullptr;
  spec["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", "\xE2\x96\x81"}, {"prepend_scheme", "first"},
                           {"split", false}};
  spec["decoder"] = {{"type", "Metaspace"}, {"replacement", "\xE2\x96\x81"}, {"prepend_scheme", "first"},
                     {"split", false}};
  test::temp_dir dir("tok-metaspace");
  write_text(dir.path() / "tokenizer.json", spec.dump());
  tokenizer metaspace = load_tokenizer((dir.path() / "tokenizer.json").string());
  tokenizer original = load_tokenizer((tinystories_dir() / "tokenizer.json").string());
  std::string text = tinystories_reference()["sentence"]["text"].get<std::string>();
  CATCH_CHECK(metaspace.encode(text, false) == original.encode(text, false));
  CATCH_CHECK(metaspace.decode(metaspace.encode(text, false)) == text);
}

CATCH_TEST_CASE("BOS and EOS come from the files beside the tokenizer", "[tokenizer]") {
  fs::path llama3_json = test::shared_dir() / "data/tokenizers/llama3-hf/tokenizer.json";
  const tokenizer& bare = llama3();
  std::optional<int32_t> begin = bare.token_to_id("<|begin_of_text|>"), end = bare.token_to_id("<|end_of_text|>");
  CATCH_REQUIRE(begin);
  CATCH_REQUIRE(end);
  std::vector<int32_t> plain = bare.encode("Hello world", false);

  CATCH_SECTION("a bare tokenizer.json with no template names no BOS") {
    CATCH_CHECK(!bare.bos_id());
    CATCH_CHECK(!bare.adds_bos_by_default());
    CATCH_CHECK(bare.encode("Hello world") == plain);
    CATCH_CHECK(error_of([&] { bare.encode("Hello world", true); }).find(llama3_json.string()) != std::string::npos);
  }
  CATCH_SECTION("config.json bos_token_id and eos_token_id (a list) are used and BOS is prepended") {
    test::temp_dir dir("tok-config");
    fs::copy_file(llama3_json, dir.path() / "tokenizer.json");
    write_text(dir.path() / "config.json", json{{"bos_token_id", *begin}, {"eos_token_id", {*end, 0}}}.dump());
    tokenizer tok = load_tokenizer(dir.path().string());
    CATCH_CHECK(tok.bos_id() == begin);
    CATCH_CHECK(tok.eos_id() == end);
    std::vector<int32_t> ids = tok.encode("Hello world");
    CATCH_REQUIRE(!ids.empty());
    CATCH_CHECK(ids.front() == *begin);
    CATCH_CHECK(std::vector<int32_t>(ids.begin() + 1, ids.end()) == plain);
    CATCH_CHECK(tok.encode("Hello world", false) == plain);
  }
  CATCH_SECTION("tokenizer_config.json names the token and can turn BOS off") {
    test::temp_dir dir("tok-tokconfig");
    fs::copy_file(llama3_json, dir.path() / "tokenizer.json");
    write_text(dir.path() / "tokenizer_config.json",
               json{{"bos_token", {{"content", "<|begin_of_text|>"}}}, {"eos_token", "<|end_of_text|>"},
                    {"add_bos_token", false}}
                   .dump());
    tokenizer tok = load_tokenizer(dir.path().string());
    CATCH_CHECK(tok.bos_id() == begin);
    CATCH_CHECK(tok.eos_id() == end);
    CATCH_CHECK(!tok.adds_bos_by_default());
    CATCH_CHECK(tok.encode("Hello world", true).front() == *begin);
  }
  CATCH_SECTION("a post_processor template that prepends a token turns BOS on") {
    tokenizer tok = load_tokenizer(tinystories_dir().string());
    CATCH_CHECK(tok.bos_id() == tok.token_to_id("<|start_story|>"));
    CATCH_CHECK(tok.eos_id() == tok.token_to_id("<|end_story|>"));
  }
  CATCH_SECTION("vocab.json + merges.txt: GPT-2 adds no BOS; an OPT-style tokenizer_config adds its bos_token") {
    CATCH_CHECK(!gpt2().adds_bos_by_default());
    CATCH_CHECK(gpt2().eos_id() == gpt2().token_to_id("<|endoftext|>"));
    test::temp_dir dir("tok-opt");
    fs::path gpt2_dir = test::shared_dir() / "data/tokenizers/gpt2";
    fs::copy_file(gpt2_dir / "vocab.json", dir.path() / "vocab.json");
    fs::copy_file(gpt2_dir / "merges.txt", dir.path() / "merges.txt");
    write_text(dir.path() / "tokenizer_config.json",
               json{{"bos_token", "<|endoftext|>"}, {"eos_token", "<|endoftext|>"}, {"add_bos_token", true}}.dump());
    tokenizer tok = load_tokenizer(dir.path().string());
    std::vector<int32_t> ids = tok.encode("Hello world");
    CATCH_REQUIRE(!ids.empty());
    CATCH_CHECK(ids.front() == *tok.token_to_id("<|endoftext|>"));
    CATCH_CHECK(std::vector<int32_t>(ids.begin() + 1, ids.end()) == gpt2().encode("Hello world", false));
  }
}

CATCH_TEST_CASE("bad tokenizer files give errors that name the file", "[tokenizer]") {
  test::temp_dir dir("tok-errors");
  auto named = [](const std::string& message, const fs::path& path) {
    CATCH_INFO(message);
    CATCH_CHECK(message.find(path.string()) != std::string::npos);
  };
  CATCH_SECTION("missing file") {
    fs::path missing = dir.path() / "nothing.json";
    named(error_of([&] { load_tokenizer(missing.string()); }), missing);
  }
  CATCH_SECTION("directory without tokenizer files") {
    named(error_of([&] { load_tokenizer(dir.path().string()); }), dir.path());
  }
  CATCH_SECTION("malformed JSON") {
    fs::path bad = dir.path() / "tokenizer.json";
    write_text(bad, "{\"model\": {\"type\": \"BPE\", ");
    std::string message = error_of([&] { load_tokenizer(bad.string()); });
    named(message, bad);
    CATCH_CHECK(message.find("invalid JSON") != std::string::npos);
  }
  CATCH_SECTION("unknown model type") {
    fs::path bad = dir.path() / "tokenizer.json";
    write_text(bad, R"({"model": {"type": "WordPiece", "vocab": {}}})");
    std::string message = error_of([&] { load_tokenizer(bad.string()); });
    named(message, bad);
    CATCH_CHECK(message.find("WordPiece") != std::string::npos);
  }
  CATCH_SECTION("unsupported pre-tokenizer") {
    json spec = read_json_file((tinystories_dir() / "tokenizer.json").string());
    spec["pre_tokenizer"] = {{"type", "BertPreTokenizer"}};
    fs::path bad = dir.path() / "tokenizer.json";
    write_text(bad, spec.dump());
    std::string message = error_of([&] { load_tokenizer(bad.string()); });
    named(message, bad);
    CATCH_CHECK(message.find("BertPreTokenizer") != std::string::npos);
  }
  CATCH_SECTION("a merge whose token is not in the vocabulary") {
    fs::path bad = dir.path() / "tokenizer.json";
    write_text(bad, R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": ["a b"]}})");
    std::string message = error_of([&] { load_tokenizer(bad.string()); });
    named(message, bad);
    CATCH_CHECK(message.find("'ab'") != std::string::npos);
  }
  CATCH_SECTION("a malformed merges.txt line") {
    fs::path gpt2_dir = test::shared_dir() / "data/tokenizers/gpt2";
    fs::copy_file(gpt2_dir / "vocab.json", dir.path() / "vocab.json");
    write_text(dir.path() / "merges.txt", "#version: 0.2\n\xC4\xA0 t\nthree parts here\n");
    std::string message = error_of([&] { load_tokenizer(dir.path().string()); });
    named(message, dir.path() / "merges.txt");
    CATCH_CHECK(message.find("line 3") != std::string::npos);
  }
  CATCH_SECTION("ids outside the vocabulary and text that is not UTF-8") {
    const tokenizer& tok = gpt2();
    named(error_of([&] { tok.decode({tok.id_limit()}); }), test::shared_dir() / "data/tokenizers/gpt2");
    named(error_of([&] { tok.encode("ab\xFF", false); }), test::shared_dir() / "data/tokenizers/gpt2");
  }
}

}  // namespace
}  // namespace harness
