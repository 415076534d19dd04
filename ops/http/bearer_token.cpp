#include "ops/http/bearer_token.hpp"

#include <cstdlib>

namespace tp::ops {

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  // Every byte of the longer input is read; the length difference is folded in, not returned early.
  const std::size_t n = a.size() > b.size() ? a.size() : b.size();
  unsigned diff = static_cast<unsigned>(a.size() ^ b.size());
  for (std::size_t i = 0; i < n; ++i) {
    const auto x = static_cast<unsigned char>(i < a.size() ? a[i] : 0);
    const auto y = static_cast<unsigned char>(i < b.size() ? b[i] : 0);
    diff |= static_cast<unsigned>(x ^ y);
  }
  // The optimiser may not turn the loop into an early exit: `diff` is only read here.
  volatile unsigned sink = diff;
  return sink == 0;
}

BearerToken BearerToken::from_environment(const std::string& env_var) {
  if (env_var.empty()) return BearerToken(std::string());
  const char* v = std::getenv(env_var.c_str());
  return BearerToken(v == nullptr ? std::string() : std::string(v));
}

bool BearerToken::accepts(std::string_view authorization) const noexcept {
  if (token_.empty()) return false;
  static constexpr std::string_view kScheme = "Bearer ";
  if (authorization.size() < kScheme.size()) return false;
  // The scheme is case-insensitive (RFC 7235); the token is compared exactly.
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    const char c = authorization[i];
    const char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    const char want = (kScheme[i] >= 'A' && kScheme[i] <= 'Z') ? static_cast<char>(kScheme[i] - 'A' + 'a') : kScheme[i];
    if (lower != want) return false;
  }
  return constant_time_equal(authorization.substr(kScheme.size()), token_);
}

}  // namespace tp::ops
