#include "core/config/config.hpp"

#include <gtest/gtest.h>

#include <string>

namespace tp {
namespace {

constexpr const char* kMinimal = R"(
[[symbols]]
name = "BTCUSDT"
lot_step = "0.00001"
)";

std::string error_of(const std::string& text) {
  try {
    parse_config(text, "t.toml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(Config, MinimalFileTakesSpecDefaults) {
  const Config c = parse_config(kMinimal, "t.toml");
  ASSERT_EQ(c.symbols.size(), 1u);
  EXPECT_EQ(c.symbols[0].lot_step, 1000);
  EXPECT_EQ(c.symbols[0].min_qty, 1000) << "min_qty defaults to the lot step";
  EXPECT_EQ(c.venue_format, VenueFormat::Binance);
  ASSERT_EQ(c.profit_levels.size(), 1u);
  EXPECT_EQ(c.profit_levels[0].gain_pct, 5 * kScale);
  EXPECT_EQ(c.profit_levels[0].reduce_fraction, 30'000'000);
  EXPECT_FALSE(c.risk.daily_loss_limit.has_value());
  EXPECT_TRUE(c.risk.flatten_on_halt);
  EXPECT_EQ(c.sim.latency_ns, 0);
  EXPECT_EQ(c.sim.taker_fee_bps, 10 * kScale);
  EXPECT_EQ(c.threads.wait, WaitKind::SpinThenYield) << "never busy-spin by default";
}

TEST(Config, FullSpecExample) {
  const Config c = parse_config(R"(
[venue]
format = "binance"
[[symbols]]
name = "BTCUSDT"
lot_step = "0.00001"
min_qty = "0.00001"
min_notional = "5"
[[positions]]
symbol = "BTCUSDT"
qty = "-0.5"
entry_price = "60000"
[profit_take]
levels = [ { gain_pct = 5.0, reduce_fraction = 0.30 }, { gain_pct = 7.5, reduce_fraction = 0.5 } ]
[risk]
daily_loss_limit = "1000"
day_reset_utc = "13:30"
flatten_on_halt = false
max_order_qty = "100"
max_order_notional = "1000000"
max_orders_per_sec = 100
[sim]
latency_ns = 250000
taker_fee_bps = 7.5
[strategy]
entry = "none"
)",
                                "t.toml");
  EXPECT_EQ(c.positions[0].qty, -50'000'000);
  EXPECT_EQ(c.positions[0].entry_price, 60000 * kScale);
  EXPECT_EQ(c.profit_levels[1].gain_pct, 7 * kScale + 50'000'000);
  EXPECT_EQ(c.profit_levels[0].reduce_fraction, 30'000'000) << "0.30 is exactly 3/10 (SPEC 9.7)";
  EXPECT_EQ(*c.risk.daily_loss_limit, 1000 * kScale);
  EXPECT_EQ(c.risk.day_reset_minutes, 13 * 60 + 30);
  EXPECT_FALSE(c.risk.flatten_on_halt);
  EXPECT_EQ(c.sim.latency_ns, 250000);
  EXPECT_EQ(c.sim.taker_fee_bps, 7 * kScale + 50'000'000);
}

TEST(Config, ErrorsNameTheKeyAndLine) {
  EXPECT_NE(error_of("[[symbols]]\nname = \"X\"\n").find("'symbols[0].lot_step'"), std::string::npos);
  const std::string typo = error_of(std::string(kMinimal) + "[risk]\nmax_order_qyt = \"1\"\n");
  EXPECT_NE(typo.find("unknown key 'risk.max_order_qyt'"), std::string::npos) << typo;
  EXPECT_NE(typo.find("t.toml:6"), std::string::npos) << typo;
  const std::string wrong_type = error_of(std::string(kMinimal) + "[sim]\nlatency_ns = \"fast\"\n");
  EXPECT_NE(wrong_type.find("'sim.latency_ns' must be an integer"), std::string::npos) << wrong_type;
  const std::string bad_dec = error_of("[[symbols]]\nname = \"X\"\nlot_step = \"1e-5\"\n");
  EXPECT_NE(bad_dec.find("t.toml:3"), std::string::npos) << bad_dec;
  EXPECT_NE(bad_dec.find("symbols[0].lot_step"), std::string::npos) << bad_dec;
}

TEST(Config, PositionForUnconfiguredSymbolIsAnError) {
  const std::string e =
      error_of(std::string(kMinimal) + "[[positions]]\nsymbol = \"ETHUSDT\"\nqty = \"1\"\nentry_price = \"3000\"\n");
  EXPECT_NE(e.find("'positions[0].symbol' = \"ETHUSDT\" is not a configured symbol"), std::string::npos) << e;
}

TEST(Config, MalformedTomlReportsLineAndColumn) {
  const std::string e = error_of("[[symbols]]\nname = \"X\nlot_step = 1\n");
  EXPECT_EQ(e.rfind("t.toml:2:", 0), 0u) << e;
}

TEST(Config, RejectsBadValues) {
  EXPECT_FALSE(error_of("[venue]\nformat = \"kraken\"\n" + std::string(kMinimal)).empty());
  EXPECT_FALSE(error_of(std::string(kMinimal) + "[risk]\nday_reset_utc = \"24:00\"\n").empty());
  EXPECT_FALSE(error_of(std::string(kMinimal) + "[profit_take]\nlevels = [ { gain_pct = 5, reduce_fraction = 1.5 } ]\n").empty());
  EXPECT_FALSE(error_of(std::string(kMinimal) +
                        "[profit_take]\nlevels = [ { gain_pct = 5, reduce_fraction = 0.3 }, { gain_pct = 4, reduce_fraction = 0.3 } ]\n")
                   .empty())
      << "levels must ascend";
  EXPECT_FALSE(error_of(std::string(kMinimal) + "[threads]\nwait = \"sleepy\"\n").empty());
  EXPECT_FALSE(error_of(std::string(kMinimal) + kMinimal).empty()) << "duplicate symbol";
  EXPECT_FALSE(error_of("[venue]\nformat = \"binance\"\n").empty()) << "no symbols";
}

TEST(Config, FeedLimits) {
  const Config c = parse_config(std::string(kMinimal) +
                                    "[feed]\nmax_message_bytes = 65536\nmax_out_of_order_bytes = 0\nmax_connections = 8\n",
                                "t.toml");
  EXPECT_EQ(c.feed.max_message_bytes, 65536);
  EXPECT_EQ(c.feed.max_out_of_order_bytes, 0);
  EXPECT_EQ(c.feed.max_connections, 8);
  EXPECT_NE(error_of(std::string(kMinimal) + "[feed]\nmax_connections = 0\n").find("'feed.max_connections' must be between"),
            std::string::npos);
}

TEST(Config, MissingFileIsAConfigError) {
  EXPECT_THROW(load_config_file("/nonexistent/tickpipe.toml"), ConfigError);
}

}  // namespace
}  // namespace tp

namespace tp {
namespace {

constexpr const char* kLiveBase = R"(
[[symbols]]
name = "BTCUSDT"
lot_step = "0.00001"
)";

TEST(ConfigLive, DefaultsPerVenueAndEveryKey) {
  Config c = parse_config(std::string(kLiveBase) + "[live]\nurl = \"wss://stream.binance.com:9443/stream\"\n", "t.toml");
  EXPECT_TRUE(c.live.present);
  EXPECT_EQ(c.live.streams, (std::vector<std::string>{"bookTicker", "trade"}));
  EXPECT_EQ(c.live.stale_after_ms, 5000);
  EXPECT_EQ(c.exec.venue, ExecVenue::Sim);
  c = parse_config(std::string("[venue]\nformat = \"coinbase\"\n") + kLiveBase +
                       "[live]\nurl = \"ws://127.0.0.1:9000\"\ncompression = true\nca_file = \"ca.pem\"\n"
                       "stale_after_ms = 100\nreconnect_min_ms = 5\nreconnect_max_ms = 50\n[exec]\nvenue = \"sim\"\n",
                   "t.toml");
  EXPECT_EQ(c.live.streams, (std::vector<std::string>{"ticker", "matches", "heartbeat"}));
  EXPECT_TRUE(c.live.compression);
  EXPECT_EQ(c.live.ca_file, "ca.pem");
  EXPECT_EQ(c.live.reconnect_max_ms, 50);
  EXPECT_FALSE(parse_config(kLiveBase, "t.toml").live.present);
}

TEST(ConfigLive, ErrorsNameTheKey) {
  struct Case {
    const char* toml;
    const char* says;
  };
  const Case cases[] = {
      {"[live]\nstreams = [\"trade\"]\n", "missing required key 'live.url'"},
      {"[live]\nurl = \"http://x\"\n", "live.url"},
      {"[live]\nurl = \"ws://h\"\nstreams = [\"kline_1m\"]\n", "live.streams[0]"},
      {"[live]\nurl = \"ws://h\"\nstreams = [\"trade\", \"trade\"]\n", "listed twice"},
      {"[live]\nurl = \"ws://h\"\nstreams = []\n", "live.streams"},
      {"[live]\nurl = \"ws://h\"\nstale_after_ms = 0\n", "live.stale_after_ms"},
      {"[live]\nurl = \"ws://h\"\nreconnect_min_ms = 100\nreconnect_max_ms = 10\n", "live.reconnect_max_ms"},
      {"[live]\nurl = \"ws://h\"\nretries = 3\n", "unknown key 'live.retries'"},
      {"[exec]\nvenue = \"fix\"\n", "needs a [fix] table"},
      {"[exec]\nvenue = \"paper\"\n", "exec.venue"},
      {"[fix]\nport = 5001\ntarget_comp_id = \"EX\"\n", "missing required key 'fix.sender_comp_id'"},
      {"[fix]\nsender_comp_id = \"C\"\ntarget_comp_id = \"EX\"\n", "missing required key 'fix.port'"},
      {"[fix]\nport = 70000\nsender_comp_id = \"C\"\ntarget_comp_id = \"EX\"\n", "fix.port"},
      {"[fix]\nport = 1\nsender_comp_id = \"A B\"\ntarget_comp_id = \"EX\"\n", "fix.sender_comp_id"},
      {"[fix]\nport = 1\nsender_comp_id = \"C\"\ntarget_comp_id = \"EX\"\nheartbeat_s = 0\n", "fix.heartbeat_s"},
      {"[fix]\nport = 1\nsender_comp_id = \"C\"\ntarget_comp_id = \"EX\"\nseq = 3\n", "unknown key 'fix.seq'"},
  };
  for (const Case& c : cases) {
    try {
      (void)parse_config(std::string(kLiveBase) + c.toml, "t.toml");
      ADD_FAILURE() << "accepted: " << c.toml;
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(c.says), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("t.toml:"), std::string::npos) << e.what();
    }
  }
}

TEST(ConfigTest, FixTableForFixVenue) {
  const Config c = parse_config(std::string(kLiveBase) +
                                    "[exec]\nvenue = \"fix\"\n[fix]\nhost = \"127.0.0.1\"\nport = 5001\n"
                                    "sender_comp_id = \"CLIENT1\"\ntarget_comp_id = \"EXECUTOR\"\nheartbeat_s = 5\n"
                                    "store_dir = \"/tmp/s\"\nreset_on_logon = true\npassword_env = \"FIX_PW\"\n",
                                "t.toml");
  EXPECT_EQ(c.exec.venue, ExecVenue::Fix);
  EXPECT_TRUE(c.fix.present);
  EXPECT_EQ(c.fix.port, 5001);
  EXPECT_EQ(c.fix.sender_comp_id, "CLIENT1");
  EXPECT_EQ(c.fix.target_comp_id, "EXECUTOR");
  EXPECT_EQ(c.fix.heartbeat_s, 5);
  EXPECT_EQ(c.fix.store_dir, "/tmp/s");
  EXPECT_TRUE(c.fix.reset_on_logon);
  EXPECT_EQ(c.fix.password_env, "FIX_PW");
  EXPECT_EQ(c.fix.reconnect_min_ms, 100);
}

}  // namespace
}  // namespace tp
