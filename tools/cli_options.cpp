#include "tools/cli_options.h"

#include "runtime/error.h"

namespace harness {

std::map<std::string, std::string> parse_options(const std::vector<std::string>& words) {
  std::map<std::string, std::string> options;
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (w.rfind("--", 0) != 0 || w.size() < 3) fail("unexpected argument '{}' (options look like --name value)", w);
    size_t eq = w.find('=');
    if (eq != std::string::npos) {
      options[w.substr(2, eq - 2)] = w.substr(eq + 1);
    } else {
      if (i + 1 >= words.size()) fail("option {} needs a value", w);
      options[w.substr(2)] = words[++i];
    }
  }
  return options;
}

std::map<std::string, std::string> parse_command_options(const std::vector<std::string>& words,
                                                         const std::vector<std::string>& flags,
                                                         const std::vector<std::string>& valued,
                                                         const std::string& command,
                                                         std::vector<std::string>* positional) {
  std::vector<std::string> rest;
  std::map<std::string, std::string> options;
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    bool is_flag = false;
    for (const std::string& f : flags)
      if (w == "--" + f) options[f] = "true", is_flag = true;
    if (is_flag) continue;
    if (w.rfind("--", 0) != 0 && positional) {
      positional->push_back(w);
      continue;
    }
    rest.push_back(w);
    // An option's value travels with it, even when it does not start with "--".
    if (w.rfind("--", 0) == 0 && w.find('=') == std::string::npos && i + 1 < words.size()) rest.push_back(words[++i]);
  }
  for (const auto& [key, value] : parse_options(rest)) {
    bool known = false;
    for (const std::string& v : valued) known = known || v == key;
    if (!known) fail("`harness {}`: unknown option --{} (see `harness help`)", command, key);
    options[key] = value;
  }
  return options;
}

std::string required_option(const std::map<std::string, std::string>& options, const std::string& name,
                            const std::string& command) {
  auto it = options.find(name);
  if (it == options.end()) fail("`harness {}` needs --{}", command, name);
  return it->second;
}

}  // namespace harness
