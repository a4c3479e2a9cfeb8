// bundle_command.h: `harness bundle` and `harness verify-bundle` (see bundle.h for the bundle itself).
#pragma once
#include <string>
#include <vector>

#include "artifact/bundle.h"

namespace harness {

// harness bundle [--results DIR] [--out FILE] [--source DIR] [--allow-invalid REASON]
int bundle_command(const std::vector<std::string>& args, const std::string& commit);

// harness verify-bundle FILE: prints each problem; exit 0 only when there is none.
int verify_bundle_command(const std::vector<std::string>& args);

// The paper's tables and figures (artifact/renderings.h) as the bundle holds them.
std::vector<rendering_kind> paper_rendering_kinds();

}  // namespace harness
