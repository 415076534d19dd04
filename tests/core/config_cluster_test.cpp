// [cluster] (SPEC §13, docs/configuration.md): SPEC's four keys, the defaults of the rest, and an
// error naming the key for each bad value.
#include <gtest/gtest.h>

#include <string>

#include "config_snippets.hpp"
#include "core/config/config.hpp"

namespace tp {
namespace {

Config parse(const std::string& extra) { return testing::parse_one_symbol(extra); }
std::string error_of(const std::string& extra) { return testing::one_symbol_error(extra); }

constexpr const char* kSpec =
    "[cluster]\nredis_url = \"redis://10.0.0.5:6380/2\"\ninstance = \"ldn-btc-1\"\nfirm_daily_loss_limit = "
    "\"5000\"\nfail_closed_after_ms = 5000\n";

TEST(ConfigCluster, AbsentMeansNoCluster) { EXPECT_FALSE(parse("").cluster.present); }

TEST(ConfigCluster, SpecsExampleAndTheDefaults) {
  const Config c = parse(kSpec);
  ASSERT_TRUE(c.cluster.present);
  EXPECT_EQ(c.cluster.redis.host, "10.0.0.5");
  EXPECT_EQ(c.cluster.redis.port, 6380);
  EXPECT_EQ(c.cluster.redis.db, 2);
  EXPECT_EQ(c.cluster.instance, "ldn-btc-1");
  EXPECT_EQ(c.cluster.firm_daily_loss_limit, 5000 * kScale);
  EXPECT_EQ(c.cluster.fail_closed_after_ms, 5000);
  EXPECT_EQ(c.cluster.heartbeat_ms, 200);
  EXPECT_EQ(c.cluster.instance_ttl_ms, 3000);
  EXPECT_EQ(c.cluster.key_prefix, "tickpipe");
  EXPECT_EQ(c.cluster.password_env, "");
  const Config d = parse("[cluster]\ninstance = \"a\"\nfirm_daily_loss_limit = \"1\"\n");
  EXPECT_EQ(d.cluster.redis.host, "127.0.0.1");
  EXPECT_EQ(d.cluster.redis.port, 6379);
  EXPECT_EQ(d.cluster.redis.db, 0);
}

TEST(ConfigCluster, ErrorsNameTheKey) {
  const std::string base = "[cluster]\ninstance = \"a\"\nfirm_daily_loss_limit = \"1\"\n";
  EXPECT_NE(error_of("[cluster]\nfirm_daily_loss_limit = \"1\"\n").find("instance"), std::string::npos);
  EXPECT_NE(error_of("[cluster]\ninstance = \"a\"\n").find("firm_daily_loss_limit"), std::string::npos);
  EXPECT_NE(error_of("[cluster]\ninstance = \"a b\"\nfirm_daily_loss_limit = \"1\"\n").find("'cluster.instance'"),
            std::string::npos);
  EXPECT_NE(error_of("[cluster]\ninstance = \"a\"\nfirm_daily_loss_limit = \"-5\"\n").find("firm_daily_loss_limit"),
            std::string::npos);
  EXPECT_NE(error_of("[cluster]\ninstance = \"a\"\nfirm_daily_loss_limit = \"0\"\n").find("above 0"), std::string::npos);
  EXPECT_NE(error_of(base + "redis_url = \"http://x\"\n").find("'cluster.redis_url'"), std::string::npos);
  EXPECT_NE(error_of(base + "redis_url = \"rediss://x\"\n").find("TLS"), std::string::npos);
  EXPECT_NE(error_of(base + "redis_url = \"redis://x/abc\"\n").find("database number"), std::string::npos);
  EXPECT_NE(error_of(base + "redis_url = \"redis://u:p@x\"\n").find("password"), std::string::npos);
  EXPECT_NE(error_of(base + "fail_closed_after_ms = 5\n").find("'cluster.fail_closed_after_ms'"), std::string::npos);
  EXPECT_NE(error_of(base + "heartbeat_ms = 1000\ninstance_ttl_ms = 2000\n").find("3 x"), std::string::npos);
  EXPECT_NE(error_of(base + "key_prefix = \"a:b\"\n").find("'cluster.key_prefix'"), std::string::npos);
  EXPECT_NE(error_of(base + "nope = 1\n").find("nope"), std::string::npos);
}

}  // namespace
}  // namespace tp
