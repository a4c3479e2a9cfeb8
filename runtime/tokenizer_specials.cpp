#include "runtime/tokenizer_specials.h"

#include <filesystem>

#include <fmt/format.h>

#include "runtime/error.h"
#include "runtime/json_file.h"
#include "runtime/tokenizer_json.h"

namespace harness {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr const char* gpt2_default_special = "<|endoftext|>";

json read_if_present(const fs::path& path, std::vector<std::string>& paths) {
  if (!fs::exists(path)) return nullptr;
  json j = read_json_file(path.string());
  if (!j.is_object()) fail("{}: expected a JSON object", path.string());
  paths.push_back(path.string());
  return j;
}

std::optional<post_processor_template> read_template(const json& spec, const std::string& where) {
  const json& single = json_field(spec, "single", where);
  const json& specials = json_field(spec, "special_tokens", where);
  if (!single.is_array() || !specials.is_object()) fail("{}: malformed TemplateProcessing", where);
  post_processor_template t;
  bool after_text = false;
  for (const json& item : single) {
    if (item.contains("Sequence")) {
      after_text = true;
      continue;
    }
    if (!item.contains("SpecialToken")) fail("{}: template item {} is neither SpecialToken nor Sequence", where, item.dump());
    std::string name = json_string(item["SpecialToken"], "id", where + ".single");
    auto it = specials.find(name);
    if (it == specials.end()) fail("{}: template names special token '{}' that special_tokens lacks", where, name);
    const json& ids = json_field(*it, "ids", where + ".special_tokens." + name);
    for (const json& id : ids) {
      if (!id.is_number_integer()) fail("{}: special token '{}' has a non-integer id", where, name);
      (after_text ? t.suffix : t.prefix).push_back(id.get<int32_t>());
    }
  }
  return t;
}

int32_t pair_id(const json& spec, const char* name, const std::string& where) {
  const json& pair = json_field(spec, name, where);
  if (!pair.is_array() || pair.size() != 2 || !pair[1].is_number_integer())
    fail("{}: field '{}' must be [token, id]", where, name);
  return pair[1].get<int32_t>();
}

}  // namespace

tokenizer_side_files read_tokenizer_side_files(const std::string& dir) {
  tokenizer_side_files side;
  side.dir = dir;
  fs::path d(dir);
  side.tokenizer_config = read_if_present(d / "tokenizer_config.json", side.paths);
  side.special_tokens_map = read_if_present(d / "special_tokens_map.json", side.paths);
  side.config = read_if_present(d / "config.json", side.paths);
  return side;
}

std::optional<post_processor_template> read_post_processor(const json& spec, const std::string& where) {
  if (spec.is_null()) return std::nullopt;
  std::string type = json_type(spec, where);
  if (type == "TemplateProcessing") return read_template(spec, where);
  if (type == "RobertaProcessing" || type == "BertProcessing")
    return post_processor_template{{pair_id(spec, "cls", where)}, {pair_id(spec, "sep", where)}};
  if (type == "Sequence") {
    const json& list = json_field(spec, "processors", where);
    if (!list.is_array()) fail("{}: field 'processors' must be a list", where);
    for (size_t i = 0; i < list.size(); ++i)
      if (auto t = read_post_processor(list[i], fmt::format("{}.processors[{}]", where, i))) return t;
  }
  return std::nullopt;
}

std::optional<std::string> special_token_content(const json& config, const char* field, const std::string& where) {
  if (!config.is_object()) return std::nullopt;
  auto it = config.find(field);
  if (it == config.end() || it->is_null()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object()) return json_string(*it, "content", fmt::format("{}: {}", where, field));
  fail("{}: field '{}' must be a token text or {{\"content\": ...}}, got {}", where, field, it->dump());
}

special_tokens resolve_special_tokens(const tokenizer_side_files& side,
                                      const std::optional<post_processor_template>& post, bool vocab_format,
                                      const std::function<std::optional<int32_t>(const std::string&)>& lookup) {
  fs::path dir(side.dir);
  std::string tokenizer_config_path = (dir / "tokenizer_config.json").string();
  std::string special_map_path = (dir / "special_tokens_map.json").string();
  std::string config_path = (dir / "config.json").string();

  auto resolve = [&](const char* token_field, const char* id_field, bool from_prefix) -> std::optional<int32_t> {
    std::optional<std::string> name = special_token_content(side.tokenizer_config, token_field, tokenizer_config_path);
    std::string named_in = tokenizer_config_path;
    if (!name) {
      name = special_token_content(side.special_tokens_map, token_field, special_map_path);
      named_in = special_map_path;
    }
    if (name) {
      std::optional<int32_t> id = lookup(*name);
      if (!id) fail("{}: {} '{}' is not in the tokenizer's vocabulary", named_in, token_field, *name);
      return id;
    }
    if (vocab_format) {
      if (std::optional<int32_t> id = lookup(gpt2_default_special)) return id;
    }
    if (side.config.is_object()) {
      auto it = side.config.find(id_field);
      if (it != side.config.end() && !it->is_null()) {
        const json& v = it->is_array() && !it->empty() ? (*it)[0] : *it;
        if (!v.is_number_integer()) fail("{}: field '{}' must be an integer (or a list of them)", config_path, id_field);
        return v.get<int32_t>();
      }
    }
    if (post) {
      const std::vector<int32_t>& ids = from_prefix ? post->prefix : post->suffix;
      if (!ids.empty()) return from_prefix ? ids.front() : ids.back();
    }
    return std::nullopt;
  };

  special_tokens s;
  s.bos = resolve("bos_token", "bos_token_id", true);
  s.eos = resolve("eos_token", "eos_token_id", false);

  const json* add_bos = nullptr;
  if (side.tokenizer_config.is_object()) {
    auto it = side.tokenizer_config.find("add_bos_token");
    if (it != side.tokenizer_config.end() && !it->is_null()) add_bos = &*it;
  }
  if (add_bos) {
    if (!add_bos->is_boolean()) fail("{}: field 'add_bos_token' must be true or false", tokenizer_config_path);
    s.add_bos = add_bos->get<bool>();
  } else if (post) {
    s.add_bos = !post->prefix.empty();
  } else if (vocab_format) {
    s.add_bos = false;
  } else {
    s.add_bos = s.bos.has_value();
  }
  if (s.add_bos && !s.bos)
    fail("{}: BOS is to be prepended but no BOS token is named (tokenizer_config.json bos_token or config.json "
         "bos_token_id)",
         side.dir);
  return s;
}

}  // namespace harness
