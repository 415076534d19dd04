// Operator commands to the whole firm (`tickpipe cluster halt|reduce|resume`) are signed with the
// admin token ([ops] admin_token_env, the token of POST /admin/*), and every instance checks the
// signature with its own copy before it acts: whoever can write to Redis without the token cannot
// resume a halted firm. HMAC-SHA256 over "prefix|state|gen|by|at_ms", lower-case hex.
#pragma once

#include <string>
#include <string_view>

namespace tp::ops {

std::string firm_command_signature(std::string_view token, std::string_view prefix, std::string_view state,
                                   std::string_view gen, std::string_view by, std::string_view at_ms);
// Constant-time comparison of the expected signature with `sig`. False when token is empty.
bool firm_command_signed(std::string_view token, std::string_view prefix, std::string_view state,
                         std::string_view gen, std::string_view by, std::string_view at_ms, std::string_view sig);

}  // namespace tp::ops
