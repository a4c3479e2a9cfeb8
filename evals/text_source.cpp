#include "evals/text_source.h"

#include <unordered_map>

#include "evals/documents.h"
#include "evals/python_random.h"
#include "runtime/error.h"
#include "runtime/sha256.h"
#include "runtime/text_file.h"
#include "runtime/tokenizer_utf8.h"

namespace harness {

namespace {

// Python's str.isspace() for one code point: Unicode White_Space plus the ASCII separators \x1c-\x1f.
bool python_space(char32_t c) { return is_unicode_whitespace(c) || (c >= 0x1c && c <= 0x1f); }

// Python's `not line.strip()`: the line holds nothing but whitespace.
bool blank(std::string_view line) {
  for (size_t pos = 0, length = 1; pos < line.size(); pos += length)
    if (!python_space(utf8_decode_at(line, pos, &length))) return false;
  return true;
}

std::vector<int64_t> widened(const std::vector<int32_t>& ids) { return {ids.begin(), ids.end()}; }

void require_jsonl(const text_source& source, const std::string& path) {
  if (path.size() < 6 || path.compare(path.size() - 6, 6, ".jsonl") != 0)
    fail("{}: {} reads documents from a .jsonl file ({{\"text\": ...}} per line)", path, source.id());
}

}  // namespace

std::string text_source::id() const {
  if (kind == "docs_join") return fmt::format("text.docs_join@1{{docs={},windows={}}}", docs, windows);
  if (kind == "docs_sample") return fmt::format("text.docs_sample@1{{windows={},seed={}}}", windows, seed);
  return fmt::format("text.{}@1", kind);
}

text_source parse_text_source(const std::string& kind, int64_t docs, int64_t windows, int64_t seed) {
  if (kind != "raw" && kind != "hf_rows" && kind != "docs_join" && kind != "docs_sample")
    fail("unknown text source '{}' (known: raw, hf_rows, docs_join, docs_sample)", kind);
  if (docs < 1) fail("text source {}: --docs must be at least 1, got {}", kind, docs);
  if (windows < 1) fail("text source {}: --windows must be at least 1, got {}", kind, windows);
  if (seed < 0) fail("text source {}: --seed must be non-negative, got {}", kind, seed);
  return {kind, docs, windows, static_cast<uint64_t>(seed)};
}

std::string hf_wikitext_rows_joined(const std::string& raw) {
  // Python's text mode first turns "\r\n" and "\r" into "\n"; iterating the file then yields lines
  // with their "\n", and Hugging Face's wikitext builder keeps a line only if it is not blank.
  std::string text;
  text.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '\r') {
      text += raw[i];
    } else {
      text += '\n';
      if (i + 1 < raw.size() && raw[i + 1] == '\n') ++i;
    }
  }
  std::string joined;
  joined.reserve(text.size() * 2);
  bool first = true;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    end = end == std::string::npos ? text.size() : end + 1;
    std::string_view row(text.data() + start, end - start);
    if (!first) joined += "\n\n";
    if (!blank(row)) joined += row;
    first = false;
    start = end;
  }
  return joined;
}

std::vector<std::pair<int64_t, int64_t>> sample_document_windows(int64_t num_docs,
                                                                 const std::function<int64_t(int64_t)>& tokens_of,
                                                                 int64_t seqlen, int64_t windows, uint64_t seed) {
  if (num_docs < 1) fail("docs_sample: there are no documents to sample from");
  python_random rng(seed);
  // random.randint(a, b) = a + _randbelow(b - a + 1).
  auto randint = [&](int64_t a, int64_t b) {
    return a + static_cast<int64_t>(rng.randbelow(static_cast<uint32_t>(b - a + 1)));
  };
  std::vector<std::pair<int64_t, int64_t>> samples;
  for (int64_t w = 0; w < windows; ++w) {
    int64_t doc = 0, length = 0;
    for (int64_t draws = 0;; ++draws) {
      // GPTQ loops until it finds a long enough document; give up where it would spin for ever.
      if (draws > 1000 * num_docs)
        fail("docs_sample: no document of at least {} tokens after {} draws", seqlen, draws);
      doc = randint(0, num_docs - 1);
      length = tokens_of(doc);
      if (length >= seqlen) break;
    }
    // GPTQ draws randint(0, length - seqlen - 1), which Python refuses for length == seqlen.
    if (length == seqlen)
      fail("docs_sample: document {} has exactly seqlen = {} tokens, where GPTQ's randint(0, -1) fails", doc,
           seqlen);
    samples.emplace_back(doc, randint(0, length - seqlen - 1));
  }
  return samples;
}

token_stream build_token_stream(const text_source& source, const std::string& path, const tokenizer& tok,
                                int64_t seqlen) {
  token_stream stream;
  if (source.kind == "raw" || source.kind == "hf_rows") {
    std::string text = read_text_file(path);
    if (source.kind == "hf_rows") text = hf_wikitext_rows_joined(text);
    stream.text_sha256 = sha256_string(text);
    stream.ids = widened(tok.encode(text));
    return stream;
  }
  require_jsonl(source, path);
  std::vector<std::string> docs = read_documents(path);
  if (source.kind == "docs_join") {
    if (static_cast<int64_t>(docs.size()) < source.docs)
      fail("{}: {} documents, {} asks for the first {}", path, docs.size(), source.id(), source.docs);
    std::string text;
    for (int64_t d = 0; d < source.docs; ++d) text += (d ? " " : "") + docs[d];
    stream.text_sha256 = sha256_string(text);
    stream.ids = widened(tok.encode(text));
    if (static_cast<int64_t>(stream.ids.size()) > source.windows * seqlen) stream.ids.resize(source.windows * seqlen);
    return stream;
  }
  std::unordered_map<int64_t, std::vector<int64_t>> encoded;  // document -> its ids, as sampled
  auto ids_of = [&](int64_t d) -> const std::vector<int64_t>& {
    auto it = encoded.find(d);
    if (it == encoded.end()) it = encoded.emplace(d, widened(tok.encode(docs[d]))).first;
    return it->second;
  };
  stream.samples = sample_document_windows(
      static_cast<int64_t>(docs.size()), [&](int64_t d) { return static_cast<int64_t>(ids_of(d).size()); }, seqlen,
      source.windows, source.seed);
  for (const auto& [doc, first] : stream.samples) {
    const std::vector<int64_t>& ids = ids_of(doc);
    stream.ids.insert(stream.ids.end(), ids.begin() + first, ids.begin() + first + seqlen);
  }
  return stream;
}

}  // namespace harness
