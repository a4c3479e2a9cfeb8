#include "runtime/hooks.h"

#include "runtime/error.h"

namespace harness {

namespace {
constexpr const char* names[hook_point_count] = {"attn_in", "attn_norm", "attn_heads", "attn_out", "mlp_in",
                                                 "mlp_norm", "mlp_act",  "mlp_out",    "block_out"};
}

const char* hook_point_name(hook_point p) { return names[static_cast<int>(p)]; }

hook_point hook_point_from_name(const std::string& name) {
  for (int i = 0; i < hook_point_count; ++i)
    if (name == names[i]) return static_cast<hook_point>(i);
  fail("unknown hook point '{}' (attn_in, attn_norm, attn_heads, attn_out, mlp_in, mlp_norm, mlp_act, mlp_out, "
       "block_out)",
       name);
}

}  // namespace harness
