// result_schema.h: the version of the result layout (docs/results.md, docs/result.schema.json) that
// this code writes and reads; bumped on any incompatible change.
#pragma once

namespace harness {

constexpr int result_schema_version = 2;

}  // namespace harness
