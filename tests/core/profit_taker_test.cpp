#include "core/strategy/profit_taker.hpp"

#include <gtest/gtest.h>

namespace tp {
namespace {

constexpr Fixed F(int64_t whole, int64_t frac8 = 0) { return whole * kScale + frac8; }

ProfitTaker make(std::vector<ProfitLevel> levels, Fixed lot = F(0, 1000), Fixed min_qty = F(0, 1000),
                 Fixed min_notional = F(5)) {
  return ProfitTaker(std::move(levels), {SymbolRules{lot, min_qty, min_notional}});
}

TEST(ProfitTaker, GainComparisonIsExactAtTheBoundary) {
  // entry 100, 5%: a long needs bid >= 105 exactly.
  EXPECT_TRUE(ProfitTaker::gain_reached(F(1), F(100), F(105), F(5)));
  EXPECT_FALSE(ProfitTaker::gain_reached(F(1), F(100), F(104, 99'999'999), F(5)));
  // A short needs ask <= 95.
  EXPECT_TRUE(ProfitTaker::gain_reached(-F(1), F(100), F(95), F(5)));
  EXPECT_FALSE(ProfitTaker::gain_reached(-F(1), F(100), F(95, 1), F(5)));
  // 0.25% of 60000 = 150: 60150 reaches, 60149.99999999 does not.
  EXPECT_TRUE(ProfitTaker::gain_reached(F(1), F(60000), F(60150), F(0, 25'000'000)));
  EXPECT_FALSE(ProfitTaker::gain_reached(F(1), F(60000), F(60149, 99'999'999), F(0, 25'000'000)));
}

TEST(ProfitTaker, ReductionRoundsDownToLotStep) {
  EXPECT_EQ(ProfitTaker::reduction_qty(F(1), F(0, 30'000'000), F(0, 1'000'000)), F(0, 30'000'000));
  // 0.123 * 0.3 = 0.0369 -> lot 0.01 -> 0.03
  EXPECT_EQ(ProfitTaker::reduction_qty(F(0, 12'300'000), F(0, 30'000'000), F(0, 1'000'000)), F(0, 3'000'000));
  EXPECT_EQ(ProfitTaker::reduction_qty(F(0, 1'000'000), F(0, 30'000'000), F(0, 1'000'000)), 0);
}

TEST(ProfitTaker, DefaultLevelFiresOncePerEpisode) {
  ProfitTaker pt = make({{F(5), F(0, 30'000'000)}});
  auto d = pt.evaluate(0, F(1), F(100), F(105));
  ASSERT_TRUE(d.send);
  EXPECT_EQ(d.level, 1);
  EXPECT_EQ(d.side, Side::Sell);
  EXPECT_EQ(d.qty, F(0, 30'000'000));
  EXPECT_FALSE(pt.evaluate(0, F(0, 70'000'000), F(100), F(110)).send) << "fired once per episode";
  pt.reset_episode(0);
  EXPECT_TRUE(pt.evaluate(0, F(1), F(100), F(110)).send) << "a new episode re-arms";
}

TEST(ProfitTaker, ShortBuysBack) {
  ProfitTaker pt = make({{F(5), F(0, 30'000'000)}});
  auto d = pt.evaluate(0, -F(2), F(100), F(95));
  ASSERT_TRUE(d.send);
  EXPECT_EQ(d.side, Side::Buy);
  EXPECT_EQ(d.qty, F(0, 60'000'000));
}

TEST(ProfitTaker, OnlyLowestUnfiredLevelFiresPerEvaluation) {
  ProfitTaker pt = make({{F(5), F(0, 30'000'000)}, {F(10), F(0, 30'000'000)}});
  auto d = pt.evaluate(0, F(1), F(100), F(120));
  ASSERT_TRUE(d.send);
  EXPECT_EQ(d.level, 1);
  EXPECT_FALSE(pt.fired(0, 2));
  d = pt.evaluate(0, F(0, 70'000'000), F(100), F(120));
  ASSERT_TRUE(d.send);
  EXPECT_EQ(d.level, 2);
  EXPECT_EQ(d.qty, F(0, 21'000'000));
}

TEST(ProfitTaker, TooSmallLevelIsSkippedAndEvaluationMovesOn) {
  // Level 1's 1% of 1 BTC at lot 0.01 = 0.01: notional 1.05 < 5 -> skip; level 2 sends.
  ProfitTaker pt = make({{F(5), F(0, 1'000'000)}, {F(5, 10'000'000), F(0, 50'000'000)}}, F(0, 1'000'000),
                        F(0, 1'000'000), F(5));
  auto d = pt.evaluate(0, F(1), F(100), F(106));
  EXPECT_EQ(d.skipped, 1u);
  ASSERT_TRUE(d.send);
  EXPECT_EQ(d.level, 2);
  EXPECT_TRUE(pt.fired(0, 1)) << "a skipped level counts as fired";
}

TEST(ProfitTaker, SkipsBelowLotStepAndMinQty) {
  ProfitTaker lot = make({{F(5), F(0, 1'000'000)}}, F(0, 10'000'000), F(0, 10'000'000), 0);
  auto d = lot.evaluate(0, F(1), F(100), F(105));  // 0.01 -> lot 0.1 -> 0
  EXPECT_FALSE(d.send);
  EXPECT_EQ(d.skipped, 1u);
  ProfitTaker minq = make({{F(5), F(0, 10'000'000)}}, F(0, 1'000'000), F(0, 20'000'000), 0);
  d = minq.evaluate(0, F(1), F(100), F(105));  // 0.1 < min_qty 0.2
  EXPECT_FALSE(d.send);
  EXPECT_EQ(d.skipped, 1u);
}

TEST(ProfitTaker, MinNotionalIsCheckedAtTheTouchExactly) {
  // 0.05 * 100 = 5.00 exactly: not below min_notional 5 -> sends.
  ProfitTaker pt = make({{F(5), F(0, 5'000'000)}}, F(0, 1'000'000), F(0, 1'000'000), F(5));
  auto d = pt.evaluate(0, F(1), F(95), F(100));
  EXPECT_TRUE(d.send);
}

TEST(ProfitTaker, RearmAfterRejectLetsTheLevelFireAgain) {
  ProfitTaker pt = make({{F(5), F(0, 30'000'000)}});
  ASSERT_TRUE(pt.evaluate(0, F(1), F(100), F(105)).send);
  pt.rearm(0, 1);
  EXPECT_FALSE(pt.fired(0, 1));
  EXPECT_TRUE(pt.evaluate(0, F(1), F(100), F(105)).send);
}

TEST(ProfitTaker, NotReachedNothingHappens) {
  ProfitTaker pt = make({{F(5), F(0, 30'000'000)}});
  auto d = pt.evaluate(0, F(1), F(100), F(104));
  EXPECT_FALSE(d.send);
  EXPECT_EQ(d.skipped, 0u);
  EXPECT_FALSE(pt.fired(0, 1));
}

}  // namespace
}  // namespace tp
