// new_directory.h: write a directory that must not exist yet (an imported model) so that it appears
// whole or not at all: its files go into DIR.tmp.<pid>, renamed to DIR at the end, removed on failure.
#pragma once
#include <filesystem>
#include <functional>
#include <string>

namespace harness {

// Refuses an existing `dir` (naming `command`), then calls `write` with the temporary directory to fill.
void write_new_directory(const std::string& dir, const std::string& command,
                         const std::function<void(const std::filesystem::path& tmp)>& write);

}  // namespace harness
