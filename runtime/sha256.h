// sha256.h: SHA-256 of files and strings (OpenSSL), as lowercase hex, for result provenance.
#pragma once
#include <string>

namespace harness {

std::string sha256_file(const std::string& path);
std::string sha256_string(const std::string& data);

}  // namespace harness
