// tokenizer_load.cpp: load_tokenizer: finds the files, reads tokenizer.json or vocab.json + merges.txt,
// and assembles the tokenizer's parts.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "runtime/error.h"
#include "runtime/json_file.h"
#include "runtime/tokenizer.h"
#include "runtime/tokenizer_bpe.h"
#include "runtime/tokenizer_decoder.h"
#include "runtime/tokenizer_json.h"
#include "runtime/tokenizer_normalizer.h"
#include "runtime/tokenizer_pre.h"
#include "runtime/tokenizer_specials.h"

namespace harness {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using merge_list = std::vector<std::pair<std::string, std::string>>;

tokenizer_vocab read_vocab(const json& spec, const std::string& where) {
  if (!spec.is_object()) fail("{}: vocabulary must be an object of token: id", where);
  tokenizer_vocab vocab;
  vocab.reserve(spec.size());
  for (auto it = spec.begin(); it != spec.end(); ++it) {
    if (!it.value().is_number_integer()) fail("{}: id of token '{}' is not an integer", where, it.key());
    int64_t id = it.value().get<int64_t>();
    if (id < 0 || id > INT32_MAX) fail("{}: id {} of token '{}' is out of range", where, id, it.key());
    vocab.emplace(it.key(), static_cast<int32_t>(id));
  }
  return vocab;
}

// "left right" (the legacy form, split at its one space) or ["left", "right"].
std::pair<std::string, std::string> parse_merge(const json& item, size_t index, const std::string& where) {
  if (item.is_string()) {
    const std::string& s = item.get_ref<const std::string&>();
    size_t space = s.find(' ');
    if (space == std::string::npos || space == 0 || space + 1 == s.size() || s.find(' ', space + 1) != std::string::npos)
      fail("{}: merge {} '{}' is not two tokens separated by one space", where, index, s);
    return {s.substr(0, space), s.substr(space + 1)};
  }
  if (item.is_array() && item.size() == 2 && item[0].is_string() && item[1].is_string())
    return {item[0].get<std::string>(), item[1].get<std::string>()};
  fail("{}: merge {} must be \"a b\" or [\"a\", \"b\"], got {}", where, index, item.dump());
}

merge_list read_merges(const json& spec, const std::string& where) {
  if (!spec.is_array()) fail("{}: merges must be a list", where);
  merge_list merges;
  merges.reserve(spec.size());
  for (size_t i = 0; i < spec.size(); ++i) merges.push_back(parse_merge(spec[i], i, where));
  return merges;
}

merge_list read_merges_txt(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("{}: cannot open", path);
  merge_list merges;
  std::string line;
  size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line.rfind("#version", 0) == 0) continue;
    merges.push_back(parse_merge(json(line), merges.size(), fmt::format("{}: line {}", path, line_no)));
  }
  return merges;
}

added_token read_added_token(const json& spec, const std::string& where) {
  added_token t;
  t.content = json_string(spec, "content", where);
  if (t.content.empty()) fail("{}: added token with empty content", where);
  t.special = json_bool_or(spec, "special", false, where);
  t.normalized = json_bool_or(spec, "normalized", !t.special, where);
  t.lstrip = json_bool_or(spec, "lstrip", false, where);
  t.rstrip = json_bool_or(spec, "rstrip", false, where);
  t.single_word = json_bool_or(spec, "single_word", false, where);
  return t;
}

int32_t read_id(const json& spec, const std::string& where) {
  const json& id = json_field(spec, "id", where);
  if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > INT32_MAX)
    fail("{}: field 'id' must be a non-negative integer, got {}", where, id.dump());
  return id.get<int32_t>();
}

std::function<std::optional<int32_t>(const std::string&)> lookup_in(const std::vector<added_token>& added,
                                                                     const bpe_model& model) {
  return [&added, &model](const std::string& text) -> std::optional<int32_t> {
    for (const added_token& t : added)
      if (t.content == text) return t.id;
    return model.token_to_id(text);
  };
}

void apply_specials(tokenizer_parts& parts, const tokenizer_side_files& side,
                    const std::optional<post_processor_template>& post, bool vocab_format) {
  special_tokens s = resolve_special_tokens(side, post, vocab_format, lookup_in(parts.added_tokens, *parts.model));
  parts.bos_id = s.bos;
  parts.eos_id = s.eos;
  parts.add_bos_by_default = s.add_bos;
  parts.files.insert(parts.files.end(), side.paths.begin(), side.paths.end());
}

tokenizer load_tokenizer_json(const std::string& path) {
  json j = read_json_file(path);
  if (!j.is_object()) fail("{}: expected a JSON object", path);
  const json& model = json_field(j, "model", path);
  std::string where = path + ": model";
  std::string type = model.contains("type") ? json_string(model, "type", where)
                                            : (model.contains("merges") ? "BPE" : "(none)");
  if (type != "BPE") fail("{}: model type '{}' is not supported (only BPE)", path, type);

  bpe_options options;
  if (auto unk = json_string_or(model, "unk_token", "", where); !unk.empty()) options.unk_token = unk;
  options.continuing_subword_prefix = json_string_or(model, "continuing_subword_prefix", "", where);
  options.end_of_word_suffix = json_string_or(model, "end_of_word_suffix", "", where);
  options.fuse_unk = json_bool_or(model, "fuse_unk", false, where);
  options.byte_fallback = json_bool_or(model, "byte_fallback", false, where);
  options.ignore_merges = json_bool_or(model, "ignore_merges", false, where);
  if (model.contains("dropout") && !model["dropout"].is_null()) {
    if (!model["dropout"].is_number()) fail("{}: field 'dropout' must be a number or null", where);
    if (model["dropout"].get<double>() > 0) fail("{}: BPE dropout is not supported (it makes encoding random)", where);
  }

  tokenizer_parts parts;
  parts.source = path;
  parts.files = {path};
  parts.model = std::make_unique<bpe_model>(read_vocab(json_field(model, "vocab", where), where + ".vocab"),
                                            read_merges(json_field(model, "merges", where), where + ".merges"),
                                            options, path);
  if (j.contains("added_tokens") && !j["added_tokens"].is_null()) {
    const json& list = j["added_tokens"];
    if (!list.is_array()) fail("{}: added_tokens must be a list", path);
    for (size_t i = 0; i < list.size(); ++i) {
      std::string at = fmt::format("{}: added_tokens[{}]", path, i);
      added_token t = read_added_token(list[i], at);
      t.id = read_id(list[i], at);
      parts.added_tokens.push_back(std::move(t));
    }
  }
  auto section = [&](const char* name) -> const json& {
    static const json null_json;
    auto it = j.find(name);
    return it == j.end() ? null_json : *it;
  };
  parts.normalizer = read_normalizer(section("normalizer"), path + ": normalizer");
  parts.pre = read_pre_tokenizer(section("pre_tokenizer"), path + ": pre_tokenizer");
  parts.decoder = read_decoder(section("decoder"), path + ": decoder");
  std::optional<post_processor_template> post = read_post_processor(section("post_processor"), path + ": post_processor");
  apply_specials(parts, read_tokenizer_side_files(fs::path(path).parent_path().string()), post, false);
  return tokenizer(std::move(parts));
}

// GPT-2 / OPT: byte-level BPE with GPT-2's pattern; special tokens from tokenizer_config.json and
// special_tokens_map.json, or GPT-2's <|endoftext|> when neither exists.
tokenizer load_vocab_merges(const fs::path& dir) {
  std::string vocab_path = (dir / "vocab.json").string(), merges_path = (dir / "merges.txt").string();
  if (!fs::exists(merges_path)) fail("{}: no merges.txt beside vocab.json", merges_path);
  tokenizer_parts parts;
  parts.source = dir.string();
  parts.files = {vocab_path, merges_path};
  parts.model = std::make_unique<bpe_model>(read_vocab(read_json_file(vocab_path), vocab_path),
                                            read_merges_txt(merges_path), bpe_options{}, vocab_path);
  tokenizer_side_files side = read_tokenizer_side_files(dir.string());
  std::string config_path = (dir / "tokenizer_config.json").string();

  auto add = [&](added_token t, const std::string& where) {
    for (const added_token& e : parts.added_tokens)
      if (e.content == t.content) return;
    std::optional<int32_t> id = parts.model->token_to_id(t.content);
    if (t.id < 0 && !id) fail("{}: special token '{}' is not in {}", where, t.content, vocab_path);
    if (t.id < 0) t.id = *id;
    parts.added_tokens.push_back(std::move(t));
  };
  if (side.tokenizer_config.is_object() && side.tokenizer_config.contains("added_tokens_decoder")) {
    const json& decoder = side.tokenizer_config["added_tokens_decoder"];
    if (!decoder.is_object()) fail("{}: added_tokens_decoder must be an object", config_path);
    for (auto it = decoder.begin(); it != decoder.end(); ++it) {
      std::string at = fmt::format("{}: added_tokens_decoder.{}", config_path, it.key());
      added_token t = read_added_token(it.value(), at);
      try {
        t.id = std::stoi(it.key());
      } catch (const std::exception&) {
        fail("{}: key is not an id", at);
      }
      add(std::move(t), at);
    }
  }
  for (const auto& [file, path] : {std::pair{&side.tokenizer_config, config_path},
                                   std::pair{&side.special_tokens_map, (dir / "special_tokens_map.json").string()}}) {
    for (const char* field : {"bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"}) {
      if (auto content = special_token_content(*file, field, path)) {
        added_token t;
        t.content = *content;
        t.special = true;
        const json& spec = (*file)[field];
        if (spec.is_object()) {
          t.lstrip = json_bool_or(spec, "lstrip", false, path);
          t.rstrip = json_bool_or(spec, "rstrip", false, path);
          t.single_word = json_bool_or(spec, "single_word", false, path);
        }
        add(std::move(t), path);
      }
    }
  }
  if (parts.added_tokens.empty()) {  // GPT2Tokenizer's defaults: <|endoftext|> is bos, eos and unk
    if (parts.model->token_to_id("<|endoftext|>")) {
      added_token t;
      t.content = "<|endoftext|>";
      t.special = true;
      add(std::move(t), vocab_path);
    }
  }
  bool prefix_space = json_bool_or(side.tokenizer_config, "add_prefix_space", false, config_path);
  parts.pre = prefix_space ? read_pre_tokenizer(json{{"type", "ByteLevel"}, {"add_prefix_space", true}}, config_path)
                           : make_gpt2_pre_tokenizer();
  parts.decoder = make_byte_level_decoder();
  apply_specials(parts, side, std::nullopt, true);
  return tokenizer(std::move(parts));
}

}  // namespace

tokenizer load_tokenizer(const std::string& path) {
  fs::path p(path);
  if (fs::is_directory(p)) {
    if (fs::exists(p / "tokenizer.json")) return load_tokenizer_json((p / "tokenizer.json").string());
    if (fs::exists(p / "vocab.json")) return load_vocab_merges(p);
    fail("{}: holds neither tokenizer.json nor vocab.json + merges.txt", path);
  }
  if (!fs::exists(p)) fail("{}: no such tokenizer file or directory", path);
  if (p.filename() == "vocab.json") return load_vocab_merges(p.parent_path());
  return load_tokenizer_json(path);
}

}  // namespace harness
