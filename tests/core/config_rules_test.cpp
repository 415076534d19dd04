// The rule keys: [strategy] entry, [strategy.momentum_breakout], [stop_loss], [trailing_stop]
// (docs/configuration.md).
#include <gtest/gtest.h>

#include <string>

#include "core/config/config.hpp"

namespace tp {
namespace {

const std::string kSymbols =
    "[[symbols]]\nname = \"BTCUSDT\"\nlot_step = \"0.00001\"\n"
    "[[symbols]]\nname = \"ETHUSDT\"\nlot_step = \"0.0001\"\n"
    "[[symbols]]\nname = \"SOLUSDT\"\nlot_step = \"0.01\"\n";  // lines 1-9

Config parse(const std::string& tail) { return parse_config(kSymbols + tail, "t.toml"); }

std::string error_of(const std::string& tail) {
  try {
    parse(tail);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

#define EXPECT_ERROR(tail, text)                                         \
  do {                                                                   \
    const std::string err_ = error_of(tail);                             \
    EXPECT_NE(err_.find(text), std::string::npos) << "error: " << err_;  \
  } while (0)

TEST(ConfigRules, DefaultsAreOff) {
  const Config c = parse("");
  EXPECT_FALSE(c.stop_loss.enabled);
  EXPECT_FALSE(c.trailing_stop.enabled);
  EXPECT_EQ(c.entry.kind, EntryKind::None);
  EXPECT_EQ(c.strategy.entry, "none");
  EXPECT_EQ(c.entry.lookback, 20);
  EXPECT_EQ(c.entry.breakout_bps, 5 * kScale);
  EXPECT_EQ(c.entry.notional, 1000 * kScale);
  EXPECT_FALSE(c.entry.allow_short);
  EXPECT_EQ(c.entry.cooldown_events, 100);
}

TEST(ConfigRules, StopLossIsReadAndDefaultsToAllSymbolsAndFullClose) {
  Config c = parse("[stop_loss]\nloss_pct = 2.0\n");
  EXPECT_TRUE(c.stop_loss.enabled);
  EXPECT_EQ(c.stop_loss.loss_pct, 2 * kScale);
  EXPECT_EQ(c.stop_loss.close_fraction, kScale);
  EXPECT_TRUE(c.stop_loss.symbols.empty()) << "empty = every symbol";

  c = parse("[stop_loss]\nloss_pct = \"0.25\"\nclose_fraction = 0.30\nsymbols = [\"SOLUSDT\", \"BTCUSDT\"]\n");
  EXPECT_EQ(c.stop_loss.loss_pct, 25'000'000);
  EXPECT_EQ(c.stop_loss.close_fraction, 30'000'000) << "0.30 is exactly 3/10";
  EXPECT_EQ(c.stop_loss.symbols, (std::vector<SymbolId>{0, 2})) << "ids in [[symbols]] order, ascending";
}

TEST(ConfigRules, TrailingStopIsRead) {
  Config c = parse("[trailing_stop]\ntrail_pct = 1.0\n");
  EXPECT_TRUE(c.trailing_stop.enabled);
  EXPECT_EQ(c.trailing_stop.trail_pct, kScale);
  EXPECT_EQ(c.trailing_stop.activation_pct, 0);
  EXPECT_EQ(c.trailing_stop.close_fraction, kScale);
  EXPECT_TRUE(c.trailing_stop.symbols.empty());

  c = parse("[trailing_stop]\ntrail_pct = 1.5\nactivation_pct = 0.5\nclose_fraction = \"0.5\"\nsymbols = [\"ETHUSDT\"]\n");
  EXPECT_EQ(c.trailing_stop.trail_pct, 150'000'000);
  EXPECT_EQ(c.trailing_stop.activation_pct, 50'000'000);
  EXPECT_EQ(c.trailing_stop.close_fraction, 50'000'000);
  EXPECT_EQ(c.trailing_stop.symbols, (std::vector<SymbolId>{1}));
  EXPECT_FALSE(c.stop_loss.enabled) << "the rules are independent";
}

TEST(ConfigRules, MomentumBreakoutIsRead) {
  Config c = parse("[strategy]\nentry = \"momentum_breakout\"\n");
  EXPECT_EQ(c.entry.kind, EntryKind::MomentumBreakout);
  EXPECT_EQ(c.strategy.entry, "momentum_breakout");
  EXPECT_EQ(c.entry.lookback, 20);

  c = parse(R"(
[strategy]
entry = "momentum_breakout"
[strategy.momentum_breakout]
lookback = 50
breakout_bps = 2.5
notional = "250.5"
allow_short = true
cooldown_events = 0
)");
  EXPECT_EQ(c.entry.kind, EntryKind::MomentumBreakout);
  EXPECT_EQ(c.entry.lookback, 50);
  EXPECT_EQ(c.entry.breakout_bps, 250'000'000);
  EXPECT_EQ(c.entry.notional, 250 * kScale + 50'000'000);
  EXPECT_TRUE(c.entry.allow_short);
  EXPECT_EQ(c.entry.cooldown_events, 0);
}

TEST(ConfigRules, MomentumBreakoutSettingsWithEntryNoneAreValidatedAndKept) {
  const Config c = parse("[strategy]\nentry = \"none\"\n[strategy.momentum_breakout]\nlookback = 7\n");
  EXPECT_EQ(c.entry.kind, EntryKind::None);
  EXPECT_EQ(c.entry.lookback, 7);
  EXPECT_ERROR("[strategy]\nentry = \"none\"\n[strategy.momentum_breakout]\nlookback = 0\n",
               "strategy.momentum_breakout.lookback");
}

TEST(ConfigRules, EntryRangesAtTheirEdges) {
  const std::string head = "[strategy]\nentry = \"momentum_breakout\"\n[strategy.momentum_breakout]\n";
  EXPECT_EQ(parse(head + "lookback = 1\n").entry.lookback, 1);
  EXPECT_EQ(parse(head + "lookback = 10000\n").entry.lookback, kMaxEntryLookback);
  EXPECT_ERROR(head + "lookback = 10001\n", "'strategy.momentum_breakout.lookback' must be between 1 and 10000");
  EXPECT_ERROR(head + "lookback = 0\n", "'strategy.momentum_breakout.lookback' must be between 1 and 10000");
  EXPECT_EQ(parse(head + "breakout_bps = 0\n").entry.breakout_bps, 0);
  EXPECT_EQ(parse(head + "breakout_bps = 10000\n").entry.breakout_bps, 10'000 * kScale);
  EXPECT_ERROR(head + "breakout_bps = \"10000.00000001\"\n", "strategy.momentum_breakout.breakout_bps");
  EXPECT_ERROR(head + "breakout_bps = -1.0\n", "strategy.momentum_breakout.breakout_bps");
  EXPECT_EQ(parse(head + "notional = \"0.00000001\"\n").entry.notional, 1);
  EXPECT_ERROR(head + "notional = 0\n", "'strategy.momentum_breakout.notional' must be > 0");
  EXPECT_ERROR(head + "notional = \"-5\"\n", "strategy.momentum_breakout.notional");
  EXPECT_EQ(parse(head + "cooldown_events = 1000000000\n").entry.cooldown_events, 1'000'000'000);
  EXPECT_ERROR(head + "cooldown_events = -1\n", "'strategy.momentum_breakout.cooldown_events' must be between 0");
  EXPECT_ERROR(head + "cooldown_events = 1000000001\n", "strategy.momentum_breakout.cooldown_events");
}

TEST(ConfigRules, EntryTypeErrors) {
  const std::string head = "[strategy]\nentry = \"momentum_breakout\"\n[strategy.momentum_breakout]\n";
  EXPECT_ERROR(head + "lookback = 2.0\n", "'strategy.momentum_breakout.lookback' must be an integer");
  EXPECT_ERROR(head + "allow_short = \"yes\"\n", "'strategy.momentum_breakout.allow_short' must be true or false");
  EXPECT_ERROR(head + "notional = true\n", "strategy.momentum_breakout.notional");
  EXPECT_ERROR("[strategy]\nmomentum_breakout = 3\n", "'strategy.momentum_breakout' must be a table");
}

TEST(ConfigRules, UnknownEntryAndUnknownKeysNameTheKeyAndLine) {
  const std::string bad = error_of("[strategy]\nentry = \"mean_reversion\"\n");
  EXPECT_NE(bad.find("'strategy.entry' = \"mean_reversion\" must be \"none\" or \"momentum_breakout\""),
            std::string::npos) << bad;
  EXPECT_NE(bad.find("t.toml:11"), std::string::npos) << bad;

  const std::string typo = error_of("[strategy]\nentry = \"momentum_breakout\"\n[strategy.momentum_breakout]\nlook_back = 5\n");
  EXPECT_NE(typo.find("unknown key 'strategy.momentum_breakout.look_back'"), std::string::npos) << typo;
  EXPECT_NE(typo.find("t.toml:13"), std::string::npos) << typo;

  const std::string sl = error_of("[stop_loss]\nloss_pct = 2\nclose_frac = 0.5\n");
  EXPECT_NE(sl.find("unknown key 'stop_loss.close_frac'"), std::string::npos) << sl;
  EXPECT_NE(sl.find("t.toml:12"), std::string::npos) << sl;

  EXPECT_ERROR("[trailing_stop]\ntrail_pct = 1\nactivation = 0.5\n", "unknown key 'trailing_stop.activation'");
  EXPECT_ERROR("[stop_loss]\nloss_pct = 2\n[stop_losss]\nloss_pct = 2\n", "unknown key 'stop_losss'");
}

TEST(ConfigRules, StopLossValidation) {
  EXPECT_ERROR("[stop_loss]\nclose_fraction = 1\n", "missing required key 'stop_loss.loss_pct'");
  EXPECT_ERROR("[stop_loss]\nloss_pct = 0\n", "'stop_loss.loss_pct' must be > 0");
  EXPECT_ERROR("[stop_loss]\nloss_pct = -2.0\n", "stop_loss.loss_pct");
  EXPECT_ERROR("[stop_loss]\nloss_pct = \"2%\"\n", "stop_loss.loss_pct");
  EXPECT_EQ(parse("[stop_loss]\nloss_pct = \"0.00000001\"\n").stop_loss.loss_pct, 1);
  EXPECT_EQ(parse("[stop_loss]\nloss_pct = 150\n").stop_loss.loss_pct, 150 * kScale) << "a short can lose > 100%";
  EXPECT_ERROR("[stop_loss]\nloss_pct = 2\nclose_fraction = 0\n", "'stop_loss.close_fraction' must be in (0, 1]");
  EXPECT_ERROR("[stop_loss]\nloss_pct = 2\nclose_fraction = \"1.00000001\"\n", "'stop_loss.close_fraction' must be in (0, 1]");
  EXPECT_EQ(parse("[stop_loss]\nloss_pct = 2\nclose_fraction = \"0.00000001\"\n").stop_loss.close_fraction, 1);
  try {
    parse_config("stop_loss = 3\n" + kSymbols, "t.toml");
    ADD_FAILURE() << "stop_loss = 3 accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("t.toml:1: key 'stop_loss' must be a table"), std::string::npos) << e.what();
  }
}

TEST(ConfigRules, TrailingStopValidation) {
  EXPECT_ERROR("[trailing_stop]\nactivation_pct = 1\n", "missing required key 'trailing_stop.trail_pct'");
  EXPECT_ERROR("[trailing_stop]\ntrail_pct = 0\n", "'trailing_stop.trail_pct' must be > 0");
  EXPECT_ERROR("[trailing_stop]\ntrail_pct = 1\nactivation_pct = -0.5\n", "trailing_stop.activation_pct");
  EXPECT_EQ(parse("[trailing_stop]\ntrail_pct = 1\nactivation_pct = 0\n").trailing_stop.activation_pct, 0);
  EXPECT_ERROR("[trailing_stop]\ntrail_pct = 1\nclose_fraction = 1.5\n", "'trailing_stop.close_fraction' must be in (0, 1]");
}

TEST(ConfigRules, RuleSymbolsMustBeConfiguredListedOnceAndNotEmpty) {
  const std::string unknown = error_of("[stop_loss]\nloss_pct = 2\nsymbols = [\"BTCUSDT\", \"XRPUSDT\"]\n");
  EXPECT_NE(unknown.find("'stop_loss.symbols[1]' = \"XRPUSDT\" is not a configured symbol"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("t.toml:12"), std::string::npos) << unknown;
  EXPECT_ERROR("[trailing_stop]\ntrail_pct = 1\nsymbols = [\"ETHUSDT\", \"ETHUSDT\"]\n",
               "'trailing_stop.symbols[1]': symbol 'ETHUSDT' is listed twice");
  EXPECT_ERROR("[stop_loss]\nloss_pct = 2\nsymbols = []\n", "'stop_loss.symbols' must list at least one symbol");
  EXPECT_ERROR("[stop_loss]\nloss_pct = 2\nsymbols = [1]\n", "'stop_loss.symbols[0]' must be a string");
  EXPECT_ERROR("[stop_loss]\nloss_pct = 2\nsymbols = \"BTCUSDT\"\n", "'stop_loss.symbols' must be an array");
  EXPECT_ERROR("[stop_loss]\nloss_pct = 2\nsymbols = [\"btcusdt\"]\n", "is not a configured symbol");  // case-sensitive
}

TEST(ConfigRules, TablesMayComeBeforeTheSymbols) {
  const Config c = parse_config(
      "[stop_loss]\nloss_pct = 3\nsymbols = [\"ETHUSDT\"]\n"
      "[[symbols]]\nname = \"BTCUSDT\"\nlot_step = \"1\"\n[[symbols]]\nname = \"ETHUSDT\"\nlot_step = \"1\"\n",
      "t.toml");
  EXPECT_EQ(c.stop_loss.symbols, (std::vector<SymbolId>{1}));
}

TEST(ConfigRules, AllTogether) {
  const Config c = parse(R"(
[strategy]
entry = "momentum_breakout"
[strategy.momentum_breakout]
lookback = 20
breakout_bps = 5
notional = "1000"
allow_short = false
cooldown_events = 100
[stop_loss]
loss_pct = 2.0
close_fraction = 1.0
symbols = ["BTCUSDT"]
[trailing_stop]
trail_pct = 1.0
activation_pct = 0.5
close_fraction = 1.0
symbols = ["BTCUSDT", "ETHUSDT"]
)");
  EXPECT_EQ(c.entry.kind, EntryKind::MomentumBreakout);
  EXPECT_EQ(c.stop_loss.symbols, (std::vector<SymbolId>{0}));
  EXPECT_EQ(c.trailing_stop.symbols, (std::vector<SymbolId>{0, 1}));
  EXPECT_EQ(c.trailing_stop.activation_pct, 50'000'000);
}

}  // namespace
}  // namespace tp
