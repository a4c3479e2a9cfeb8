// cli_options.h: the command-line option grammar shared by every `harness` command: "--key value" and
// "--key=value" pairs, plus value-less flags a command names. Errors name the command and the option.
#pragma once
#include <map>
#include <string>
#include <vector>

namespace harness {

// "--key value" and "--key=value" pairs; anything else is an error.
std::map<std::string, std::string> parse_options(const std::vector<std::string>& words);

// A command's options: the value-less `flags` (set to "true" when present) and the `valued` options;
// any other option is an error naming `command`. Words not starting with "--" are returned in
// `positional` when it is given, else they are an error.
std::map<std::string, std::string> parse_command_options(const std::vector<std::string>& words,
                                                         const std::vector<std::string>& flags,
                                                         const std::vector<std::string>& valued,
                                                         const std::string& command,
                                                         std::vector<std::string>* positional = nullptr);

std::string required_option(const std::map<std::string, std::string>& options, const std::string& name,
                            const std::string& command);

}  // namespace harness
