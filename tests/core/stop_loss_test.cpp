// StopLoss (core/strategy/stop_loss.hpp): exact loss boundary, long and short, once per episode, re-arm,
// skips (lot step, min_qty, min_notional), close fraction rounding, per-symbol scope.
#include "core/strategy/stop_loss.hpp"

#include <gtest/gtest.h>

namespace tp {
namespace {

constexpr Fixed F(int64_t whole, int64_t frac8 = 0) { return whole * kScale + frac8; }

StopLossConfig cfg(Fixed loss_pct, Fixed fraction = kScale, std::vector<SymbolId> symbols = {}) {
  StopLossConfig c;
  c.enabled = true;
  c.loss_pct = loss_pct;
  c.close_fraction = fraction;
  c.symbols = std::move(symbols);
  return c;
}

// lot 0.001, min_qty 0.001, min_notional 5
StopLoss make(const StopLossConfig& c, std::size_t symbols = 1, Fixed lot = F(0, 100'000),
              Fixed min_qty = F(0, 100'000), Fixed min_notional = F(5)) {
  return StopLoss(c, std::vector<SymbolRules>(symbols, SymbolRules{lot, min_qty, min_notional}));
}

TEST(StopLoss, LossComparisonIsExactAtTheBoundary) {
  // entry 100, 2%: a long needs bid <= 98 exactly.
  EXPECT_TRUE(StopLoss::loss_reached(F(1), F(100), F(98), F(2)));
  EXPECT_FALSE(StopLoss::loss_reached(F(1), F(100), F(98, 1), F(2)));
  EXPECT_TRUE(StopLoss::loss_reached(F(1), F(100), F(97, 99'999'999), F(2)));
  // A short needs ask >= 102.
  EXPECT_TRUE(StopLoss::loss_reached(-F(1), F(100), F(102), F(2)));
  EXPECT_FALSE(StopLoss::loss_reached(-F(1), F(100), F(101, 99'999'999), F(2)));
  // 0.25% of 60000 = 150: 59850 reaches, 59850.00000001 does not.
  EXPECT_TRUE(StopLoss::loss_reached(F(1), F(60000), F(59850), F(0, 25'000'000)));
  EXPECT_FALSE(StopLoss::loss_reached(F(1), F(60000), F(59850, 1), F(0, 25'000'000)));
  // A gain is never a loss; flat, no entry or no price never fires.
  EXPECT_FALSE(StopLoss::loss_reached(F(1), F(100), F(150), F(2)));
  EXPECT_FALSE(StopLoss::loss_reached(-F(1), F(100), F(50), F(2)));
  EXPECT_FALSE(StopLoss::loss_reached(0, F(100), F(50), F(2)));
  EXPECT_FALSE(StopLoss::loss_reached(F(1), 0, F(50), F(2)));
  EXPECT_FALSE(StopLoss::loss_reached(F(1), F(100), 0, F(2)));
}

TEST(StopLoss, LongSellsEverythingByDefault) {
  StopLoss sl = make(cfg(F(2)));
  EXPECT_FALSE(sl.evaluate(0, F(1, 50'000'000), F(100), F(98, 1)).send) << "one unit short of the loss";
  EXPECT_FALSE(sl.fired(0));
  const RuleDecision d = sl.evaluate(0, F(1, 50'000'000), F(100), F(98));
  ASSERT_TRUE(d.send);
  EXPECT_EQ(d.side, Side::Sell);
  EXPECT_EQ(d.qty, F(1, 50'000'000));
  EXPECT_EQ(d.skipped, 0u);
  EXPECT_TRUE(sl.fired(0));
}

TEST(StopLoss, ShortBuysBack) {
  StopLoss sl = make(cfg(F(2)));
  EXPECT_FALSE(sl.evaluate(0, -F(2), F(100), F(101, 99'999'999)).send);
  const RuleDecision d = sl.evaluate(0, -F(2), F(100), F(102));
  ASSERT_TRUE(d.send);
  EXPECT_EQ(d.side, Side::Buy);
  EXPECT_EQ(d.qty, F(2));
}

TEST(StopLoss, FiresOncePerEpisode) {
  StopLoss sl = make(cfg(F(2), F(0, 50'000'000)));
  ASSERT_TRUE(sl.evaluate(0, F(1), F(100), F(97)).send);
  EXPECT_FALSE(sl.evaluate(0, F(0, 50'000'000), F(100), F(90)).send) << "once per episode, even deeper";
  sl.reset_episode(0);
  EXPECT_FALSE(sl.fired(0));
  const RuleDecision d = sl.evaluate(0, F(1), F(100), F(90));
  ASSERT_TRUE(d.send) << "a new episode re-arms";
  EXPECT_EQ(d.qty, F(0, 50'000'000));
}

TEST(StopLoss, RearmAfterRejectLetsItFireAgain) {
  StopLoss sl = make(cfg(F(2)));
  ASSERT_TRUE(sl.evaluate(0, F(1), F(100), F(98)).send);
  EXPECT_FALSE(sl.evaluate(0, F(1), F(100), F(98)).send);
  sl.rearm(0);
  EXPECT_TRUE(sl.evaluate(0, F(1), F(100), F(98)).send);
}

TEST(StopLoss, CloseFractionRoundsDownToLotStep) {
  // 0.1237 * 0.5 = 0.06185 -> lot 0.001 -> 0.061
  StopLoss sl = make(cfg(F(2), F(0, 50'000'000)), 1, F(0, 100'000), F(0, 100'000), 0);
  const RuleDecision d = sl.evaluate(0, F(0, 12'370'000), F(100), F(98));
  ASSERT_TRUE(d.send);
  EXPECT_EQ(d.qty, F(0, 6'100'000));
  // Fraction 1 of a quantity off the lot grid (start-up inventory) leaves the dust.
  StopLoss all = make(cfg(F(2)), 1, F(0, 100'000), F(0, 100'000), 0);
  EXPECT_EQ(all.evaluate(0, F(0, 12'345'678), F(100), F(98)).qty, F(0, 12'300'000));
}

TEST(StopLoss, TooSmallCountsAsFiredAndSkipped) {
  // Below the lot step: 0.0005 -> lot 0.001 -> 0.
  StopLoss lot = make(cfg(F(2)), 1, F(0, 100'000), F(0, 100'000), 0);
  RuleDecision d = lot.evaluate(0, F(0, 50'000), F(100), F(98));
  EXPECT_FALSE(d.send);
  EXPECT_EQ(d.skipped, 1u);
  EXPECT_TRUE(lot.fired(0));
  d = lot.evaluate(0, F(0, 50'000), F(100), F(90));
  EXPECT_FALSE(d.send);
  EXPECT_EQ(d.skipped, 0u) << "a skip fires the rule once; it is not counted again";
  // Below min_qty: 0.01 < 0.02.
  StopLoss minq = make(cfg(F(2)), 1, F(0, 100'000), F(0, 2'000'000), 0);
  d = minq.evaluate(0, F(0, 1'000'000), F(100), F(98));
  EXPECT_FALSE(d.send);
  EXPECT_EQ(d.skipped, 1u);
}

TEST(StopLoss, MinNotionalIsCheckedAtTheTouchExactly) {
  // 0.051 * 98 = 4.998 < 5: skip; 0.052 * 98 = 5.096: send. At touch 100, 0.05 * 100 = 5: send.
  StopLoss a = make(cfg(F(2)));
  EXPECT_EQ(a.evaluate(0, F(0, 5'100'000), F(100), F(98)).skipped, 1u);
  StopLoss b = make(cfg(F(2)));
  EXPECT_TRUE(b.evaluate(0, F(0, 5'200'000), F(100), F(98)).send);
  StopLoss c = make(cfg(F(1)));
  EXPECT_TRUE(c.evaluate(0, -F(0, 5'000'000), F(99), F(100)).send) << "5.00 is not below 5";
}

TEST(StopLoss, OffByDefaultAndScopedToItsSymbols) {
  StopLossConfig off;  // [stop_loss] absent
  StopLoss none = make(off, 2);
  EXPECT_FALSE(none.enabled(0));
  EXPECT_FALSE(none.evaluate(0, F(1), F(100), F(1)).send);
  EXPECT_FALSE(none.fired(0));

  StopLoss all = make(cfg(F(2)), 3);
  EXPECT_TRUE(all.enabled(0) && all.enabled(1) && all.enabled(2));

  StopLoss only1 = make(cfg(F(2), kScale, {1}), 3);
  EXPECT_FALSE(only1.enabled(0));
  EXPECT_TRUE(only1.enabled(1));
  EXPECT_FALSE(only1.enabled(2));
  EXPECT_FALSE(only1.evaluate(0, F(1), F(100), F(90)).send);
  EXPECT_TRUE(only1.evaluate(1, F(1), F(100), F(90)).send);
  EXPECT_FALSE(only1.fired(2));
}

TEST(StopLoss, SymbolsAreIndependent) {
  StopLoss sl = make(cfg(F(2)), 2);
  ASSERT_TRUE(sl.evaluate(0, F(1), F(100), F(98)).send);
  EXPECT_FALSE(sl.fired(1));
  EXPECT_TRUE(sl.evaluate(1, -F(1), F(100), F(102)).send);
  sl.reset_episode(0);
  EXPECT_FALSE(sl.fired(0));
  EXPECT_TRUE(sl.fired(1));
}

TEST(StopLoss, FlatOrNoPriceNeverFires) {
  StopLoss sl = make(cfg(F(2)));
  EXPECT_FALSE(sl.evaluate(0, 0, F(100), F(50)).send);
  EXPECT_FALSE(sl.evaluate(0, F(1), F(100), 0).send);
  EXPECT_FALSE(sl.fired(0));
}

TEST(StopLoss, InvalidSettingsAreRefused) {
  EXPECT_THROW(make(cfg(0)), std::invalid_argument);
  EXPECT_THROW(make(cfg(F(2), 0)), std::invalid_argument);
  EXPECT_THROW(make(cfg(F(2), kScale + 1)), std::invalid_argument);
}

}  // namespace
}  // namespace tp
