#include "ops/http/bearer_token.hpp"

#include <gtest/gtest.h>

namespace tp::ops {
namespace {

TEST(BearerToken, OnlyTheExactTokenAfterTheBearerSchemeIsAccepted) {
  const BearerToken t("s3cret-token");
  EXPECT_TRUE(t.enabled());
  EXPECT_TRUE(t.accepts("Bearer s3cret-token"));
  EXPECT_TRUE(t.accepts("bearer s3cret-token"));  // the scheme is case-insensitive (RFC 7235)
  EXPECT_FALSE(t.accepts(""));
  EXPECT_FALSE(t.accepts("Bearer"));
  EXPECT_FALSE(t.accepts("Bearer "));
  EXPECT_FALSE(t.accepts("s3cret-token"));
  EXPECT_FALSE(t.accepts("Basic s3cret-token"));
  EXPECT_FALSE(t.accepts("Bearer s3cret-tokeN"));
  EXPECT_FALSE(t.accepts("Bearer s3cret-token "));
  EXPECT_FALSE(t.accepts("Bearer s3cret-toke"));
  EXPECT_FALSE(t.accepts("Bearer  s3cret-token"));
}

TEST(BearerToken, NoTokenMeansEveryRequestIsRefused) {
  const BearerToken off{std::string()};
  EXPECT_FALSE(off.enabled());
  EXPECT_FALSE(off.accepts("Bearer "));
  EXPECT_FALSE(off.accepts("Bearer x"));
  ::unsetenv("TP_TEST_TOKEN_UNSET");
  EXPECT_FALSE(BearerToken::from_environment("TP_TEST_TOKEN_UNSET").enabled());
  ::setenv("TP_TEST_TOKEN_SET", "abc", 1);
  EXPECT_TRUE(BearerToken::from_environment("TP_TEST_TOKEN_SET").accepts("Bearer abc"));
  EXPECT_FALSE(BearerToken::from_environment("").enabled());
}

TEST(BearerToken, ConstantTimeEqualIsEquality) {
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "ab"));
  EXPECT_FALSE(constant_time_equal("ab", "abc"));
  EXPECT_FALSE(constant_time_equal(std::string_view("a\0", 2), "a"));
}

}  // namespace
}  // namespace tp::ops
