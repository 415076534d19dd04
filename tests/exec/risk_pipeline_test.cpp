// The risk layer through strategy + gateway + simulated venue (SPEC 5, 9.2-9.4, 9.15): day P&L,
// loss-limit halt and flatten, day rollover at the boundary, the kill switch.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "core/threads/control_queue.hpp"
#include "core/strategy/daily_risk.hpp"
#include "pipeline_harness.hpp"

namespace tp {
namespace {

constexpr int64_t kDay = 1723161600'000'000'000;  // 2024-08-09T00:00:00Z
constexpr int64_t kMs = 1'000'000;

Config two_symbols(Fixed loss_limit) {
  Config c = parse_config(R"(
[[symbols]]
name = "AAA"
lot_step = "0.001"
[[symbols]]
name = "BBB"
lot_step = "0.001"
[[positions]]
symbol = "AAA"
qty = "1"
entry_price = "100"
[[positions]]
symbol = "BBB"
qty = "-2"
entry_price = "50"
[profit_take]
levels = [ { gain_pct = 50.0, reduce_fraction = 0.5 } ]
)",
                          "t");
  c.risk.daily_loss_limit = loss_limit;
  return c;
}

TEST(DailyRisk, DayIndexAndStartWithAResetOffset) {
  DailyRisk r(1, 13 * 60 + 30);  // 13:30 UTC
  const int64_t reset = kDay + (13 * 60 + 30) * 60'000'000'000LL;
  EXPECT_EQ(r.day_of(reset), r.day_of(reset - 1) + 1) << "the reset instant opens the new day";
  EXPECT_EQ(r.day_start_ns(r.day_of(reset)), reset);
  EXPECT_EQ(r.day_of(reset + kNsPerDay - 1), r.day_of(reset));
  EXPECT_EQ(r.day_of(-1), -1) << "floor division before the epoch";
}

TEST(DailyRisk, PnlIsRealizedMinusFeesPlusUnrealizedSinceTheDayStart) {
  DailyRisk r(2, 0);
  r.start(kDay);
  r.set_unrealized(0, F(10), true);  // first mark of the day: baseline 10
  EXPECT_EQ(r.day_pnl(), 0);
  r.set_unrealized(0, F(7), true);
  EXPECT_EQ(r.day_pnl(), -F(3));
  r.on_fill(F(2), F(0, 50'000'000));
  EXPECT_EQ(r.day_pnl(), -F(1, 50'000'000));
  r.set_unrealized(1, F(4), true);  // symbol 1's first mark: contributes nothing yet
  EXPECT_EQ(r.day_pnl(), -F(1, 50'000'000));
  r.roll_to(r.day() + 1);
  EXPECT_EQ(r.day_pnl(), 0) << "a new day starts from the current marks";
  r.set_unrealized(1, F(5), true);
  EXPECT_EQ(r.day_pnl(), F(1));
}

TEST(RiskPipeline, LossLimitHaltsAndFlattensEverySymbolInIdOrder) {
  Harness h(two_symbols(F(10)));
  h.top(kDay + 1, F(100), F(101), 0);  // AAA long 1 @100: unrealized 0 (baseline)
  h.top(kDay + 2, F(49), F(50), 1);    // BBB short 2 @50 marked at ask 50: 0 (baseline)
  EXPECT_TRUE(h.lines.empty());
  h.top(kDay + 3, F(95), F(96), 0);    // -5
  EXPECT_TRUE(h.lines.empty());
  h.top(kDay + 4, F(51), F(52, 50'000'000), 1);  // BBB at 52.5: -5 more -> -10 <= -10: halt
  ASSERT_EQ(h.lines.size(), 5u);
  EXPECT_EQ(h.lines[0], R"({"event":"state","ts":1723161600000000004,"from":"ACTIVE","to":"HALTED","reason":"loss_limit"})");
  EXPECT_EQ(h.lines[1],
            R"({"event":"order","ts":1723161600000000004,"symbol":"AAA","side":"sell","qty":"1.00000000","order_type":"market","reason":"loss_limit","client_order_id":1})");
  // fee 95 * 10 bps = 0.095
  EXPECT_EQ(h.lines[2],
            R"({"event":"fill","ts":1723161600000000004,"client_order_id":1,"symbol":"AAA","side":"sell","qty":"1.00000000","price":"95.00000000","fee":"0.09500000"})");
  EXPECT_EQ(h.lines[3],
            R"({"event":"order","ts":1723161600000000004,"symbol":"BBB","side":"buy","qty":"2.00000000","order_type":"market","reason":"loss_limit","client_order_id":2})");
  EXPECT_EQ(h.lines[4],
            R"({"event":"fill","ts":1723161600000000004,"client_order_id":2,"symbol":"BBB","side":"buy","qty":"2.00000000","price":"52.50000000","fee":"0.10500000"})");
  EXPECT_EQ(h.strategy.state(), TradingState::Halted);
  EXPECT_EQ(h.strategy.book()[0].qty, 0);
  EXPECT_EQ(h.strategy.book()[1].qty, 0);
  EXPECT_EQ(h.strategy.day_pnl(), -F(10, 20'000'000)) << "the flatten fees count from the next check on";
  h.top(kDay + 5, F(80), F(81), 0);
  EXPECT_EQ(h.lines.size(), 5u) << "halted and flat: nothing more";
}

TEST(RiskPipeline, JustAboveTheLimitDoesNotHalt) {
  Harness h(two_symbols(F(10)));
  h.top(kDay + 1, F(100), F(101), 0);
  h.top(kDay + 2, F(90, 1), F(91), 0);  // -9.99999999
  EXPECT_TRUE(h.lines.empty());
  EXPECT_EQ(h.strategy.state(), TradingState::Active);
  h.top(kDay + 3, F(90), F(91), 0);  // -10 exactly: day P&L <= -limit
  ASSERT_FALSE(h.lines.empty());
  EXPECT_NE(h.lines[0].find(R"("to":"HALTED")"), std::string::npos);
}

TEST(RiskPipeline, HaltWithoutFlattenOnlyChangesState) {
  Config c = two_symbols(F(1));
  c.risk.flatten_on_halt = false;
  Harness h(c);
  h.top(kDay + 1, F(100), F(101), 0);
  h.top(kDay + 2, F(99), F(100), 0);
  ASSERT_EQ(h.lines.size(), 1u);
  EXPECT_NE(h.lines[0].find(R"("to":"HALTED","reason":"loss_limit")"), std::string::npos);
  EXPECT_EQ(h.strategy.book()[0].qty, F(1));
}

// SPEC 9.2: an event exactly at the reset opens the new day; the rollover (day record, state back
// to ACTIVE, baseline from the marks before the event) comes before the event is applied.
TEST(RiskPipeline, RolloverAtExactlyTheBoundary) {
  Config c = two_symbols(F(5));
  c.risk.flatten_on_halt = false;
  Harness h(c);
  const int64_t next = kDay + kNsPerDay;
  h.top(next - 10 * kMs, F(100), F(101), 0);
  h.top(next - 1, F(94), F(95), 0);  // -6: halt
  ASSERT_EQ(h.lines.size(), 1u);
  h.top(next, F(93), F(94), 0);  // 00:00:00.000000000: new day, from a baseline of -6
  ASSERT_EQ(h.lines.size(), 3u);
  EXPECT_EQ(h.lines[1], R"({"event":"day","ts":1723248000000000000,"day_pnl":"-6.00000000"})");
  EXPECT_EQ(h.lines[2], R"({"event":"state","ts":1723248000000000000,"from":"HALTED","to":"ACTIVE","reason":"day_reset"})");
  EXPECT_EQ(h.strategy.day_pnl(), -F(1)) << "93 against the day-start mark of 94";
  EXPECT_EQ(h.strategy.state(), TradingState::Active);
  ASSERT_EQ(h.strategy.state_history().size(), 2u);
  EXPECT_EQ(h.strategy.state_history()[1].reason, StateReason::DayReset);
}

TEST(RiskPipeline, OneNanosecondBeforeTheBoundaryIsStillTheOldDay) {
  Harness h(two_symbols(F(1000)));
  h.top(kDay + kNsPerDay - 2, F(100), F(101), 0);
  h.top(kDay + kNsPerDay - 1, F(100), F(101), 0);
  EXPECT_TRUE(h.lines.empty());
  h.top(kDay + kNsPerDay, F(100), F(101), 0);
  ASSERT_EQ(h.lines.size(), 1u) << "a day record only: the state was already ACTIVE";
  EXPECT_EQ(h.lines[0], R"({"event":"day","ts":1723248000000000000,"day_pnl":"0.00000000"})");
}

TEST(RiskPipeline, FeesOfTheRulesCountAtTheNextEvent) {
  // Profit take at +50% sells 0.5 @150: fee 0.075. The loss limit of 0.07 is only crossed by
  // that fee, so the halt comes at the next event, not on the event that made the fill.
  Config c = two_symbols(F(0, 7'000'000));
  c.positions.pop_back();
  Harness h(c);
  h.top(kDay + 1, F(150), F(151), 0);  // baseline: unrealized 50
  ASSERT_EQ(h.lines.size(), 2u);       // order + fill, realized 25 today, unrealized now 25
  EXPECT_NE(h.lines[0].find("profit_take"), std::string::npos);
  EXPECT_EQ(h.strategy.state(), TradingState::Active);
  h.top(kDay + 2, F(150), F(151), 0);  // day P&L = 25 - 0.075 + (25 - 50) = -0.075 <= -0.07
  ASSERT_GE(h.lines.size(), 3u);
  EXPECT_NE(h.lines[2].find(R"("to":"HALTED")"), std::string::npos) << h.lines[2];
}

TEST(RiskPipeline, KillSwitchReducingThenHaltAndFlatten) {
  Harness h(two_symbols(F(1000)));
  h.top(kDay + 1, F(100), F(101), 0);
  h.strategy.apply_control({TradingState::Reducing, false, CommandSource::Sigusr1});
  h.drain_journal();
  // The command (an input, for --resume), what it did, and a checkpoint that makes it durable.
  ASSERT_EQ(h.lines.size(), 3u);
  EXPECT_EQ(h.lines[0],
            R"({"event":"command","ts":1723161600000000001,"events":1,"state":"REDUCING","flatten":false,"source":"SIGUSR1"})");
  EXPECT_EQ(h.lines[1], R"({"event":"state","ts":1723161600000000001,"from":"ACTIVE","to":"REDUCING","reason":"kill_switch"})");
  EXPECT_EQ(h.lines[2], R"({"event":"checkpoint","ts":1723161600000000001,"events":1})");
  h.strategy.apply_control({TradingState::Halted, true});
  h.drain_journal();
  ASSERT_EQ(h.lines.size(), 9u);
  EXPECT_EQ(h.lines[3],
            R"({"event":"command","ts":1723161600000000001,"events":1,"state":"HALTED","flatten":true,"source":"operator"})");
  EXPECT_NE(h.lines[4].find(R"("from":"REDUCING","to":"HALTED","reason":"kill_switch")"), std::string::npos);
  EXPECT_NE(h.lines[5].find(R"("symbol":"AAA","side":"sell","qty":"1.00000000","order_type":"market","reason":"kill_switch")"),
            std::string::npos)
      << h.lines[5];
  EXPECT_NE(h.lines[6].find(R"("event":"fill")"), std::string::npos);
  EXPECT_NE(h.lines[7].find(R"("symbol":"BBB","side":"buy","qty":"2.00000000")"), std::string::npos) << h.lines[7];
  EXPECT_EQ(h.lines[8], R"({"event":"checkpoint","ts":1723161600000000001,"events":1})");
  EXPECT_EQ(h.strategy.book()[0].qty, 0);
  // BBB has no mark yet: its flatten order waits for BBB's first book top and fills there.
  EXPECT_EQ(h.strategy.open_orders(), 1u);
  h.top(kDay + 2, F(49), F(50), 1);
  EXPECT_EQ(h.strategy.book()[1].qty, 0);
  EXPECT_EQ(h.strategy.open_orders(), 0u);
}

TEST(ControlQueue, SignalsWinOverQueuedCommandsAndStrongestSignalWins) {
  ControlQueue q;
  ControlCommand c;
  EXPECT_FALSE(q.try_pop(c));
  q.push({TradingState::Reducing, false});
  q.raise_from_signal({TradingState::Reducing, false});
  q.raise_from_signal({TradingState::Halted, true});
  ASSERT_TRUE(q.try_pop(c));
  EXPECT_EQ(c.state, TradingState::Halted);
  EXPECT_TRUE(c.flatten);
  ASSERT_TRUE(q.try_pop(c));
  EXPECT_EQ(c.state, TradingState::Reducing);
  EXPECT_FALSE(q.try_pop(c));
}

TEST(ControlQueue, ManyProducersNoCommandLost) {
  ControlQueue q;
  constexpr int kPerThread = 1000;
  std::vector<std::thread> producers;
  for (int t = 0; t < 4; ++t)
    producers.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) q.push({TradingState::Reducing, false});
    });
  int got = 0;
  ControlCommand c;
  while (got < 4 * kPerThread) {
    if (q.try_pop(c)) ++got;
  }
  for (auto& p : producers) p.join();
  EXPECT_FALSE(q.try_pop(c));
}

}  // namespace
}  // namespace tp

namespace tp {
namespace {

Config one_symbol_rules(const std::string& extra) {
  return parse_config(R"(
[[symbols]]
name = "AAA"
lot_step = "0.001"
[[positions]]
symbol = "AAA"
qty = "1"
entry_price = "100"
)" + extra,
                      "t");
}

TEST(RulesPipeline, StopLossClosesTheLongAtTheBidAndComesBeforeProfitTaking) {
  Harness h(one_symbol_rules("[stop_loss]\nloss_pct = 2.0\n"));
  h.top(1, F(98, 1), F(99));  // -1.99999999%: nothing
  EXPECT_TRUE(h.lines.empty());
  h.top(2, F(98), F(99));  // -2% exactly
  ASSERT_EQ(h.lines.size(), 2u);
  EXPECT_EQ(h.lines[0],
            R"({"event":"order","ts":2,"symbol":"AAA","side":"sell","qty":"1.00000000","order_type":"market","reason":"stop_loss","client_order_id":1})");
  EXPECT_NE(h.lines[1].find(R"("price":"98.00000000")"), std::string::npos);
  EXPECT_EQ(h.strategy.book()[0].qty, 0);
  EXPECT_EQ(h.strategy.stats(0).stop_losses, 1u);
}

TEST(RulesPipeline, TrailingStopFollowsTheBestBidThenFires) {
  Harness h(one_symbol_rules("[trailing_stop]\ntrail_pct = 1.0\nclose_fraction = 0.5\n[profit_take]\nlevels = [ { gain_pct = 50.0, reduce_fraction = 0.5 } ]\n"));
  h.top(1, F(110), F(111));          // best 110
  h.top(2, F(108, 90'000'001), F(111));  // 1.0000% below 110 is 108.9: not yet
  EXPECT_TRUE(h.lines.empty());
  h.top(3, F(108, 90'000'000), F(111));  // exactly 1% below the best
  ASSERT_EQ(h.lines.size(), 2u);
  EXPECT_NE(h.lines[0].find(R"("qty":"0.50000000","order_type":"market","reason":"trailing_stop")"), std::string::npos)
      << h.lines[0];
}

TEST(RulesPipeline, EntryRuleOpensAPositionOnABreakoutAndProfitTakingManagesIt) {
  Config c = parse_config(R"(
[[symbols]]
name = "AAA"
lot_step = "0.001"
[strategy]
entry = "momentum_breakout"
[strategy.momentum_breakout]
lookback = 3
breakout_bps = 10
notional = "100"
cooldown_events = 0
)",
                          "t");
  Harness h(c);
  h.top(1, F(100), F(100, 2'000'000));
  h.top(2, F(100), F(100, 2'000'000));
  h.top(3, F(100), F(100, 2'000'000));
  EXPECT_TRUE(h.lines.empty()) << "the window is only full now";
  h.top(4, F(100, 10'000'000), F(100, 11'000'000));  // mid 100.105 vs 100.01: +9.5 bps, not enough
  EXPECT_TRUE(h.lines.empty());
  h.top(5, F(100, 20'000'000), F(100, 22'000'000));  // mid 100.21 vs max 100.105: +10.5 bps
  ASSERT_EQ(h.lines.size(), 2u);
  // qty = 100 / 100.22 = 0.99780...: rounded down to the lot step 0.001
  EXPECT_EQ(h.lines[0],
            R"({"event":"order","ts":5,"symbol":"AAA","side":"buy","qty":"0.99700000","order_type":"market","reason":"entry","client_order_id":1})");
  EXPECT_EQ(h.strategy.book()[0].qty, F(0, 99'700'000));
  EXPECT_EQ(h.strategy.book()[0].entry, F(100, 22'000'000));
  h.top(6, F(106), F(107));  // +5.77% on the new position: profit taking (default level) fires
  ASSERT_EQ(h.lines.size(), 4u);
  EXPECT_NE(h.lines[2].find(R"("reason":"profit_take","level":1)"), std::string::npos) << h.lines[2];
}

TEST(RulesPipeline, HaltCancelsOpenNonReducingOrders) {
  Config c = parse_config(R"(
[[symbols]]
name = "AAA"
lot_step = "0.001"
[strategy]
entry = "momentum_breakout"
[strategy.momentum_breakout]
lookback = 1
breakout_bps = 1
notional = "100"
[sim]
latency_ns = 1000
)",
                          "t");
  Harness h(c);
  h.top(1, F(100), F(101));
  h.top(2, F(101), F(102));  // breakout: entry order pending for 1 us
  ASSERT_EQ(h.lines.size(), 1u);
  EXPECT_EQ(h.strategy.open_orders(), 1u);
  h.strategy.apply_control({TradingState::Halted, false});
  h.drain_journal();
  ASSERT_EQ(h.lines.size(), 4u);  // command, state, checkpoint
  EXPECT_NE(h.lines[1].find(R"("event":"command")"), std::string::npos) << h.lines[1];
  EXPECT_NE(h.lines[2].find(R"("to":"HALTED","reason":"kill_switch")"), std::string::npos);
  EXPECT_NE(h.lines[3].find(R"("event":"checkpoint")"), std::string::npos) << h.lines[3];
  // The cancel, like the order, reaches the venue after the latency: it takes effect at the first
  // book top at or after it, before that book top could fill the order.
  EXPECT_EQ(h.strategy.open_orders(), 1u);
  h.top(2000, F(110), F(111));
  ASSERT_EQ(h.lines.size(), 5u);
  EXPECT_EQ(h.lines[4], R"({"event":"cancel","ts":2000,"client_order_id":1,"filled_qty":"0.00000000"})");
  EXPECT_EQ(h.strategy.open_orders(), 0u);
  EXPECT_EQ(h.strategy.book()[0].qty, 0) << "the cancelled entry never fills";
  h.top(3000, F(120), F(121));
  EXPECT_EQ(h.lines.size(), 5u) << "no entry while HALTED";
}

}  // namespace
}  // namespace tp

namespace tp {
namespace {

// The watchdog (SPEC 10.5) with [live] stale_after_ms: a book top after a longer gap ends a stale
// episode and is evaluated as usual; without [live] there is no watchdog.
TEST(Watchdog, GapsLongerThanStaleAfterAreCountedAndTheNextTopIsEvaluated) {
  Harness h(one_symbol_rules("[live]\nurl = \"ws://127.0.0.1:1\"\nstale_after_ms = 1000\n"
                             "[profit_take]\nlevels = [ { gain_pct = 5.0, reduce_fraction = 0.5 } ]\n"));
  constexpr int64_t kMs = 1'000'000;
  h.top(1 * kMs, F(100), F(101));
  h.top(900 * kMs, F(100), F(101));   // 899 ms later: fresh
  EXPECT_FALSE(h.strategy.stale(0, 1800 * kMs));
  EXPECT_TRUE(h.strategy.stale(0, 1901 * kMs));
  h.top(2000 * kMs, F(106), F(107));  // 1.1 s later: it was stale; this top is evaluated (+6%)
  EXPECT_EQ(h.strategy.stats(0).stale_episodes, 1u);
  EXPECT_EQ(h.strategy.stats(0).profit_takes, 1u) << "the top that ends staleness is evaluated as usual";
  h.trade(5000 * kMs, F(106));         // trades do not end staleness
  EXPECT_TRUE(h.strategy.stale(0, 5000 * kMs));

  Harness off(one_symbol_rules(""));
  off.top(1 * kMs, F(100), F(101));
  off.top(60'000 * kMs, F(100), F(101));
  EXPECT_EQ(off.strategy.stats(0).stale_episodes, 0u);
  EXPECT_FALSE(off.strategy.stale(0, 120'000 * kMs));
}

}  // namespace
}  // namespace tp
