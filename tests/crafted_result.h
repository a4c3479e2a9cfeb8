// crafted_result.h: a result document made by hand for the torch-free tests of stored results. It has
// every field docs/result.schema.json requires, with the case, subject, finish time, metrics and
// INVALID reasons a test gives; a test changes any other field on the returned JSON.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace harness::test {

// config_hash is 64 'a's; machine "m"; code, environment and inputs are fixed placeholders.
nlohmann::json crafted_result(const std::string& case_name, const std::string& subject, const std::string& finished_at,
                              const nlohmann::json& metrics, const std::vector<std::string>& invalid_reasons = {});

}  // namespace harness::test
