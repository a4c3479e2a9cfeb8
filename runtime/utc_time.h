// utc_time.h: the current time in UTC as text, for result files, provenance records and bundles.
#pragma once
#include <string>

namespace harness {

// strftime `format` of now in UTC; the default is ISO 8601 ("2026-11-28T03:04:05Z").
std::string utc_now(const char* format = "%Y-%m-%dT%H:%M:%SZ");

}  // namespace harness
