// The admin endpoint's authorisation (SPEC §12): `Authorization: Bearer <token>`, the token read
// once at start-up from the environment variable `[ops] admin_token_env` names. Compared in
// constant time (the time a wrong guess takes says nothing about how much of it was right).
#pragma once

#include <string>
#include <string_view>

namespace tp::ops {

class BearerToken {
 public:
  // The token in `env_var` ("" or unset: admin is off, every request is refused).
  static BearerToken from_environment(const std::string& env_var);
  explicit BearerToken(std::string token) : token_(std::move(token)) {}

  bool enabled() const noexcept { return !token_.empty(); }
  // `authorization`: the whole header value. True only for "Bearer <the token>".
  bool accepts(std::string_view authorization) const noexcept;

 private:
  std::string token_;
};

// Equal in time that depends only on the lengths, not on where the first difference is.
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

}  // namespace tp::ops
