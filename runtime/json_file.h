// json_file.h: read a JSON file with errors that name it; write JSON atomically (temp file + rename).
#pragma once
#include <string>

#include <nlohmann/json.hpp>

namespace harness {

nlohmann::json read_json_file(const std::string& path);
void write_json_file_atomic(const std::string& path, const nlohmann::json& json);

}  // namespace harness
