// The pre-trade and simulated-venue keys: risk.price_band_pct, risk.max_open_orders,
// sim.maker_fee_bps, sim.max_orders (docs/configuration.md).
#include <gtest/gtest.h>

#include <string>

#include "core/config/config.hpp"

namespace tp {
namespace {

const std::string kSymbols = "[[symbols]]\nname = \"BTCUSDT\"\nlot_step = \"0.00001\"\n";

Config parse(const std::string& tail) { return parse_config(kSymbols + tail, "t.toml"); }

std::string error_of(const std::string& tail) {
  try {
    parse(tail);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(ConfigRisk, Defaults) {
  const Config c = parse("");
  EXPECT_EQ(c.risk.price_band_pct, 5 * kScale);
  EXPECT_EQ(c.risk.max_open_orders, 50);
  EXPECT_EQ(c.risk.duplicate_window_ms, 0);
  EXPECT_FALSE(c.sim.maker_fee_bps.has_value()) << "absent: the venue uses taker_fee_bps";
  EXPECT_EQ(c.sim.max_orders, 4096);
}

TEST(ConfigRisk, ValuesAreRead) {
  const Config c = parse(R"(
[risk]
price_band_pct = 0.25
max_open_orders = 7
[sim]
taker_fee_bps = 10
maker_fee_bps = "2.5"
max_orders = 8192
)");
  EXPECT_EQ(c.risk.price_band_pct, 25'000'000);
  EXPECT_EQ(c.risk.max_open_orders, 7);
  ASSERT_TRUE(c.sim.maker_fee_bps.has_value());
  EXPECT_EQ(*c.sim.maker_fee_bps, 2 * kScale + 50'000'000);
  EXPECT_EQ(c.sim.max_orders, kMaxSimOrders);
}

TEST(ConfigRisk, PriceBandAsStringOrInteger) {
  EXPECT_EQ(parse("[risk]\nprice_band_pct = \"1.5\"\n").risk.price_band_pct, 150'000'000);
  EXPECT_EQ(parse("[risk]\nprice_band_pct = 10\n").risk.price_band_pct, 10 * kScale);
  EXPECT_EQ(parse("[risk]\nprice_band_pct = \"0.00000001\"\n").risk.price_band_pct, 1);
}

TEST(ConfigRisk, MakerFeeMayBeARebate) {
  EXPECT_EQ(*parse("[sim]\nmaker_fee_bps = -2.5\n").sim.maker_fee_bps, -(2 * kScale + 50'000'000));
  EXPECT_EQ(*parse("[sim]\nmaker_fee_bps = \"-1\"\n").sim.maker_fee_bps, -kScale);
  EXPECT_EQ(*parse("[sim]\nmaker_fee_bps = 0\n").sim.maker_fee_bps, 0);
  EXPECT_EQ(*parse("[sim]\nmaker_fee_bps = -10000\n").sim.maker_fee_bps, -10'000 * kScale);
  EXPECT_EQ(*parse("[sim]\nmaker_fee_bps = 10000\n").sim.maker_fee_bps, 10'000 * kScale);
}

TEST(ConfigRisk, InvalidValuesNameTheKey) {
  EXPECT_NE(error_of("[risk]\nprice_band_pct = 0\n").find("risk.price_band_pct"), std::string::npos);
  EXPECT_NE(error_of("[risk]\nprice_band_pct = \"-1\"\n").find("risk.price_band_pct"), std::string::npos);
  EXPECT_NE(error_of("[risk]\nprice_band_pct = true\n").find("risk.price_band_pct"), std::string::npos);
  EXPECT_NE(error_of("[risk]\nmax_open_orders = 0\n").find("risk.max_open_orders"), std::string::npos);
  EXPECT_NE(error_of("[risk]\nmax_open_orders = 1000001\n").find("risk.max_open_orders"), std::string::npos);
  EXPECT_NE(error_of("[risk]\nmax_open_orders = 5.0\n").find("must be an integer"), std::string::npos);
  EXPECT_NE(error_of("[sim]\nmaker_fee_bps = 10000.00000001\n").find("sim.maker_fee_bps"), std::string::npos);
  EXPECT_NE(error_of("[sim]\nmaker_fee_bps = \"-10000.00000001\"\n").find("sim.maker_fee_bps"), std::string::npos);
  EXPECT_NE(error_of("[sim]\nmaker_fee_bps = \"1e3\"\n").find("sim.maker_fee_bps"), std::string::npos);
  EXPECT_NE(error_of("[sim]\nmax_orders = 0\n").find("sim.max_orders"), std::string::npos);
  EXPECT_NE(error_of("[sim]\nmax_orders = 8193\n").find("sim.max_orders"), std::string::npos);
  EXPECT_NE(error_of("[sim]\nmax_orders = \"10\"\n").find("must be an integer"), std::string::npos);
  EXPECT_EQ(parse("[risk]\nmax_open_orders = 1\n[sim]\nmax_orders = 1\n").sim.max_orders, 1);
}

TEST(ConfigRisk, ErrorsCarryTheLine) {
  EXPECT_NE(error_of("[risk]\nmax_open_orders = -3\n").find("t.toml:5:"), std::string::npos)
      << error_of("[risk]\nmax_open_orders = -3\n");
}

TEST(ConfigRisk, MisspeltKeysAreStillErrors) {
  EXPECT_NE(error_of("[risk]\nprice_band = 5\n").find("unknown key 'risk.price_band'"), std::string::npos);
  EXPECT_NE(error_of("[sim]\nmaker_fee = 5\n").find("unknown key 'sim.maker_fee'"), std::string::npos);
}

}  // namespace
}  // namespace tp
