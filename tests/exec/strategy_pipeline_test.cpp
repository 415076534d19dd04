// Strategy + gateway + simulated venue wired as the deterministic replay wires them, driven by
// hand-written market events; checks the journal lines and positions (SPEC 4, 6, 9.4, 9.12).
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "pipeline_harness.hpp"

namespace tp {
namespace {

TEST(StrategyPipeline, LongTakesProfitAtFivePercentAndFillsAtTheBid) {
  Harness h(base(F(0, 50'000'000), F(60000)));
  h.top(1000, F(62999, 99'000'000), F(63000));  // +4.99998%: nothing
  EXPECT_TRUE(h.lines.empty());
  h.top(2000, F(63000), F(63000, 1'000'000));  // exactly +5%
  ASSERT_EQ(h.lines.size(), 2u);
  EXPECT_EQ(h.lines[0],
            R"({"event":"order","ts":2000,"symbol":"BTCUSDT","side":"sell","qty":"0.15000000","order_type":"market","reason":"profit_take","level":1,"client_order_id":1})");
  // fee = 0.15 * 63000 * 10 / 10000 = 9.45
  EXPECT_EQ(h.lines[1],
            R"({"event":"fill","ts":2000,"client_order_id":1,"symbol":"BTCUSDT","side":"sell","qty":"0.15000000","price":"63000.00000000","fee":"9.45000000"})");
  const Position& p = h.strategy.book()[0];
  EXPECT_EQ(p.qty, F(0, 35'000'000));
  EXPECT_EQ(p.entry, F(60000));
  EXPECT_EQ(p.realized, F(450));  // (63000 - 60000) * 0.15
  EXPECT_EQ(p.fees, F(9, 45'000'000));
  h.top(3000, F(64000), F(64001));
  EXPECT_EQ(h.lines.size(), 2u) << "level 1 fires once per episode";
}

TEST(StrategyPipeline, ShortBuysBackAtTheAsk) {
  Harness h(base(-F(1), F(100)));
  h.top(10, F(94), F(95));
  ASSERT_EQ(h.lines.size(), 2u);
  EXPECT_NE(h.lines[0].find(R"("side":"buy","qty":"0.30000000")"), std::string::npos) << h.lines[0];
  EXPECT_NE(h.lines[1].find(R"("price":"95.00000000")"), std::string::npos) << h.lines[1];
  EXPECT_EQ(h.strategy.book()[0].qty, -F(0, 70'000'000));
}

TEST(StrategyPipeline, SeveralLevelsCrossedAtOnceFireOnePerEvent) {
  Config c = base(F(1), F(100));
  c.profit_levels = {{F(5), F(0, 30'000'000)}, {F(10), F(0, 50'000'000)}};
  Harness h(c);
  h.top(1, F(120), F(121));
  ASSERT_EQ(h.lines.size(), 2u);
  EXPECT_NE(h.lines[0].find(R"("level":1)"), std::string::npos);
  h.trade(2, F(130));  // after the first book top trades do not move the mark: no evaluation
  EXPECT_EQ(h.lines.size(), 2u);
  h.top(3, F(120), F(121));
  ASSERT_EQ(h.lines.size(), 4u);
  EXPECT_NE(h.lines[2].find(R"("qty":"0.35000000","order_type":"market","reason":"profit_take","level":2)"),
            std::string::npos)
      << h.lines[2];
}

TEST(StrategyPipeline, OrderBeforeFirstBookTopWaitsAndFillsThereWithThatTimestamp) {
  Harness h(base(F(1), F(100)));
  h.trade(50, F(106));  // trade marks before any book top: level 1 fires
  ASSERT_EQ(h.lines.size(), 1u);
  EXPECT_NE(h.lines[0].find(R"("ts":50)"), std::string::npos);
  EXPECT_EQ(h.strategy.open_orders(), 1u);
  h.trade(60, F(107));  // in flight: no second order
  EXPECT_EQ(h.lines.size(), 1u);
  h.top(70, F(104), F(105));
  ASSERT_EQ(h.lines.size(), 2u);
  EXPECT_EQ(h.lines[1],
            R"({"event":"fill","ts":70,"client_order_id":1,"symbol":"BTCUSDT","side":"sell","qty":"0.30000000","price":"104.00000000","fee":"0.03120000"})");
  EXPECT_EQ(h.strategy.open_orders(), 0u);
}

TEST(StrategyPipeline, MinNotionalBeforeFirstTopUsesTheMark) {
  Config c = base(F(0, 10'000'000), F(100));  // 0.1 @ 100; 30% = 0.03 * 106 = 3.18 < 5
  Harness h(c);
  h.trade(1, F(106));
  EXPECT_TRUE(h.lines.empty());
  EXPECT_EQ(h.strategy.stats(0).profit_take_skipped, 1u);
}

TEST(StrategyPipeline, RejectIsJournaledAndRearmsTheLevel) {
  Config c = base(F(10), F(100));
  c.risk.max_order_qty = F(1);  // 30% of 10 = 3 > 1
  Harness h(c);
  h.top(5, F(105), F(106));
  ASSERT_EQ(h.lines.size(), 2u);
  EXPECT_EQ(h.lines[1], R"({"event":"reject","ts":5,"client_order_id":1,"reason":"max_qty"})");
  EXPECT_FALSE(h.strategy.stats(0).rejects == 0);
  h.top(6, F(105), F(106));
  ASSERT_EQ(h.lines.size(), 4u) << "the level re-armed and fired again";
  EXPECT_NE(h.lines[2].find(R"("client_order_id":2)"), std::string::npos);
  EXPECT_EQ(h.strategy.book()[0].qty, F(10));
}

TEST(StrategyPipeline, MaxNotionalUsesTheTouch) {
  Config c = base(F(10), F(100));
  c.risk.max_order_notional = F(314);  // 3 * 105 = 315 > 314
  Harness h(c);
  h.top(5, F(105), F(106));
  ASSERT_EQ(h.lines.size(), 2u);
  EXPECT_NE(h.lines[1].find("max_notional"), std::string::npos);
}

TEST(StrategyPipeline, LatencyFillsAtFirstTopAtOrAfterDecisionPlusLatency) {
  Config c = base(F(1), F(100));
  c.sim.latency_ns = 100;
  Harness h(c);
  h.top(1000, F(105), F(106));
  ASSERT_EQ(h.lines.size(), 1u);
  h.top(1050, F(110), F(111));  // not yet due; in flight: no new order either
  EXPECT_EQ(h.lines.size(), 1u);
  h.top(1100, F(104), F(105));  // due exactly at decision + latency
  ASSERT_EQ(h.lines.size(), 2u);
  EXPECT_EQ(h.lines[1],
            R"({"event":"fill","ts":1100,"client_order_id":1,"symbol":"BTCUSDT","side":"sell","qty":"0.30000000","price":"104.00000000","fee":"0.03120000"})");
}

// SPEC 9.4: on one event the venue fills what is due first, then the rules run on the new
// position, so the next level can be decided on the very event that filled the previous one.
TEST(StrategyPipeline, DueFillIsAppliedBeforeTheRulesOfTheSameEvent) {
  Config c = base(F(1), F(100));
  c.sim.latency_ns = 100;
  c.profit_levels = {{F(5), F(0, 50'000'000)}, {F(10), F(0, 50'000'000)}};
  Harness h(c);
  h.top(1000, F(105), F(106));
  ASSERT_EQ(h.lines.size(), 1u);
  h.top(1100, F(111), F(112));
  ASSERT_EQ(h.lines.size(), 3u);
  EXPECT_EQ(h.lines[1],
            R"({"event":"fill","ts":1100,"client_order_id":1,"symbol":"BTCUSDT","side":"sell","qty":"0.50000000","price":"111.00000000","fee":"0.05550000"})");
  EXPECT_EQ(h.lines[2],
            R"({"event":"order","ts":1100,"symbol":"BTCUSDT","side":"sell","qty":"0.25000000","order_type":"market","reason":"profit_take","level":2,"client_order_id":2})");
}

TEST(StrategyPipeline, FlatPositionReArmsLevelsForTheNextEpisode) {
  Config c = base(F(1), F(100));
  c.profit_levels = {{F(5), F(1)}};  // reduce 100%
  Harness h(c);
  h.top(1, F(105), F(106));
  ASSERT_EQ(h.lines.size(), 2u);
  EXPECT_EQ(h.strategy.book()[0].qty, 0);
  EXPECT_EQ(h.strategy.book()[0].entry, 0);
  EXPECT_EQ(h.strategy.book()[0].realized, F(5));
  EXPECT_EQ(h.strategy.book()[0].winning_reductions, 1u);
  h.top(2, F(200), F(201));
  EXPECT_EQ(h.lines.size(), 2u) << "flat: nothing to take";
}

TEST(StrategyPipeline, EngineClockNeverGoesBack) {
  Harness h(base(F(1), F(100)));
  h.top(500, F(100), F(101));
  h.top(400, F(106), F(107));  // an older exchange time: the decision carries the clock (500)
  ASSERT_EQ(h.lines.size(), 2u);
  EXPECT_NE(h.lines[0].find(R"("ts":500)"), std::string::npos) << h.lines[0];
  EXPECT_EQ(h.strategy.clock(), 500);
}

TEST(StrategyPipeline, UnconfiguredPositionsStayFlat) {
  Config c = parse_config("[[symbols]]\nname = \"A\"\nlot_step = \"1\"\n[[symbols]]\nname = \"B\"\nlot_step = \"1\"\n", "t");
  Harness h(c);
  h.top(1, F(10), F(11), 1);
  EXPECT_TRUE(h.lines.empty());
  EXPECT_EQ(h.strategy.book()[1].qty, 0);
}

}  // namespace
}  // namespace tp
