// TrailingStop (core/strategy/trailing_stop.hpp): best tracking from entry, exact retrace boundary, long and
// short, activation, once per episode, re-arm, reset, skips, scope.
#include "core/strategy/trailing_stop.hpp"

#include <gtest/gtest.h>

namespace tp {
namespace {

constexpr Fixed F(int64_t whole, int64_t frac8 = 0) { return whole * kScale + frac8; }

TrailingStopConfig cfg(Fixed trail_pct, Fixed activation_pct = 0, Fixed fraction = kScale,
                       std::vector<SymbolId> symbols = {}) {
  TrailingStopConfig c;
  c.enabled = true;
  c.trail_pct = trail_pct;
  c.activation_pct = activation_pct;
  c.close_fraction = fraction;
  c.symbols = std::move(symbols);
  return c;
}

// lot 0.001, min_qty 0.001, min_notional 5
TrailingStop make(const TrailingStopConfig& c, std::size_t symbols = 1, Fixed lot = F(0, 100'000),
                  Fixed min_qty = F(0, 100'000), Fixed min_notional = F(5)) {
  return TrailingStop(c, std::vector<SymbolRules>(symbols, SymbolRules{lot, min_qty, min_notional}));
}

TEST(TrailingStop, ExactTests) {
  // Retrace 1% from a best of 110: 108.9 exactly.
  EXPECT_TRUE(TrailingStop::retraced(F(1), F(110), F(108, 90'000'000), F(1)));
  EXPECT_FALSE(TrailingStop::retraced(F(1), F(110), F(108, 90'000'001), F(1)));
  // Short: best (lowest ask) 90, 1% up = 90.9.
  EXPECT_TRUE(TrailingStop::retraced(-F(1), F(90), F(90, 90'000'000), F(1)));
  EXPECT_FALSE(TrailingStop::retraced(-F(1), F(90), F(90, 89'999'999), F(1)));
  // Activation 0.5% over entry 100: 100.5 for a long, 99.5 for a short.
  EXPECT_TRUE(TrailingStop::activated(F(1), F(100), F(100, 50'000'000), F(0, 50'000'000)));
  EXPECT_FALSE(TrailingStop::activated(F(1), F(100), F(100, 49'999'999), F(0, 50'000'000)));
  EXPECT_TRUE(TrailingStop::activated(-F(1), F(100), F(99, 50'000'000), F(0, 50'000'000)));
  EXPECT_FALSE(TrailingStop::activated(-F(1), F(100), F(99, 50'000'001), F(0, 50'000'000)));
  EXPECT_TRUE(TrailingStop::activated(F(1), F(100), F(100), 0)) << "0 = always active";
}

TEST(TrailingStop, EntryIsTheStartingBest) {
  TrailingStop ts = make(cfg(F(1)));
  // Never above entry: 1% under entry 100 is 99.
  EXPECT_FALSE(ts.evaluate(0, F(1), F(100), F(99, 1)).send);
  EXPECT_EQ(ts.best(0), F(100));
  const RuleDecision d = ts.evaluate(0, F(1), F(100), F(99));
  ASSERT_TRUE(d.send);
  EXPECT_EQ(d.side, Side::Sell);
  EXPECT_EQ(d.qty, F(1));
}

TEST(TrailingStop, LongTracksHighestBid) {
  TrailingStop ts = make(cfg(F(1)));
  EXPECT_FALSE(ts.evaluate(0, F(1), F(100), F(105)).send);
  EXPECT_FALSE(ts.evaluate(0, F(1), F(100), F(110)).send);
  EXPECT_FALSE(ts.evaluate(0, F(1), F(100), F(109)).send);
  EXPECT_EQ(ts.best(0), F(110)) << "a lower bid does not lower the best";
  EXPECT_FALSE(ts.evaluate(0, F(1), F(100), F(108, 90'000'001)).send) << "one unit short of 1% off 110";
  EXPECT_TRUE(ts.evaluate(0, F(1), F(100), F(108, 90'000'000)).send);
}

TEST(TrailingStop, ShortTracksLowestAsk) {
  TrailingStop ts = make(cfg(F(1)));
  EXPECT_FALSE(ts.evaluate(0, -F(2), F(100), F(95)).send);
  EXPECT_FALSE(ts.evaluate(0, -F(2), F(100), F(90)).send);
  EXPECT_FALSE(ts.evaluate(0, -F(2), F(100), F(90, 50'000'000)).send);
  EXPECT_EQ(ts.best(0), F(90));
  EXPECT_FALSE(ts.evaluate(0, -F(2), F(100), F(90, 89'999'999)).send);
  const RuleDecision d = ts.evaluate(0, -F(2), F(100), F(90, 90'000'000));
  ASSERT_TRUE(d.send);
  EXPECT_EQ(d.side, Side::Buy);
  EXPECT_EQ(d.qty, F(2));
}

TEST(TrailingStop, BestUpdatesBeforeTheTestOnTheSameEvent) {
  // A new high on this event is the best: a retrace is measured from it, so no fire.
  TrailingStop ts = make(cfg(F(1)));
  EXPECT_FALSE(ts.evaluate(0, F(1), F(100), F(120)).send);
  EXPECT_EQ(ts.best(0), F(120));
}

TEST(TrailingStop, ActivationGatesTheRule) {
  TrailingStop ts = make(cfg(F(1), F(0, 50'000'000)));
  // Best stays at entry 100; a 5% drop does nothing before activation.
  EXPECT_FALSE(ts.evaluate(0, F(1), F(100), F(95)).send);
  // Best 100.49999999: not yet activated; a retrace of >1% still does nothing.
  EXPECT_FALSE(ts.evaluate(0, F(1), F(100), F(100, 49'999'999)).send);
  EXPECT_FALSE(ts.evaluate(0, F(1), F(100), F(98)).send);
  EXPECT_FALSE(ts.fired(0));
  // Best 100.5: activated; 1% off 100.5 is 99.495.
  EXPECT_FALSE(ts.evaluate(0, F(1), F(100), F(100, 50'000'000)).send);
  EXPECT_FALSE(ts.evaluate(0, F(1), F(100), F(99, 49'500'001)).send);
  EXPECT_TRUE(ts.evaluate(0, F(1), F(100), F(99, 49'500'000)).send);
}

TEST(TrailingStop, ShortActivation) {
  TrailingStop ts = make(cfg(F(1), F(2)));
  EXPECT_FALSE(ts.evaluate(0, -F(1), F(100), F(98, 1)).send);
  EXPECT_FALSE(ts.evaluate(0, -F(1), F(100), F(99)).send) << "best 98.00000001: not active";
  EXPECT_FALSE(ts.evaluate(0, -F(1), F(100), F(98)).send);
  // Active at best 98; 1% up = 98.98.
  EXPECT_FALSE(ts.evaluate(0, -F(1), F(100), F(98, 97'999'999)).send);
  EXPECT_TRUE(ts.evaluate(0, -F(1), F(100), F(98, 98'000'000)).send);
}

TEST(TrailingStop, ObserveTracksWithoutDeciding) {
  TrailingStop ts = make(cfg(F(1)));
  ts.observe(0, F(1), F(100), F(110));
  ts.observe(0, F(1), F(100), F(100));  // would fire, but observe never decides
  EXPECT_FALSE(ts.fired(0));
  EXPECT_EQ(ts.best(0), F(110));
  EXPECT_TRUE(ts.evaluate(0, F(1), F(100), F(105)).send) << "measured from the best seen while observing";
}

TEST(TrailingStop, OncePerEpisodeRearmAndReset) {
  TrailingStop ts = make(cfg(F(1), 0, F(0, 50'000'000)));
  EXPECT_FALSE(ts.evaluate(0, F(1), F(100), F(110)).send);
  ASSERT_TRUE(ts.evaluate(0, F(1), F(100), F(108)).send);
  EXPECT_FALSE(ts.evaluate(0, F(0, 50'000'000), F(100), F(100)).send) << "once per episode";
  ts.rearm(0);
  EXPECT_EQ(ts.best(0), F(110)) << "re-arming keeps the best";
  const RuleDecision d = ts.evaluate(0, F(1), F(100), F(108));
  ASSERT_TRUE(d.send);
  EXPECT_EQ(d.qty, F(0, 50'000'000));
  ts.reset_episode(0);
  EXPECT_EQ(ts.best(0), 0);
  EXPECT_FALSE(ts.fired(0));
  EXPECT_FALSE(ts.evaluate(0, F(1), F(105), F(104)).send) << "new episode: best starts at the new entry";
  EXPECT_EQ(ts.best(0), F(105));
}

TEST(TrailingStop, AFlipRestartsTheEpisode) {
  TrailingStop ts = make(cfg(F(1)));
  EXPECT_FALSE(ts.evaluate(0, F(1), F(100), F(110)).send);
  // Now short at 108 without a reset_episode call: best restarts at the entry 108, lowest ask.
  EXPECT_FALSE(ts.evaluate(0, -F(1), F(108), F(108)).send);
  EXPECT_EQ(ts.best(0), F(108));
  EXPECT_TRUE(ts.evaluate(0, -F(1), F(108), F(109, 8'000'000)).send);
}

TEST(TrailingStop, TooSmallCountsAsFiredAndSkipped) {
  TrailingStop ts = make(cfg(F(1), 0, F(0, 10'000'000)));  // 10% of 0.04 = 0.004 -> notional 0.4 < 5
  RuleDecision d = ts.evaluate(0, F(0, 4'000'000), F(100), F(99));
  EXPECT_FALSE(d.send);
  EXPECT_EQ(d.skipped, 1u);
  EXPECT_TRUE(ts.fired(0));
  d = ts.evaluate(0, F(0, 4'000'000), F(100), F(90));
  EXPECT_EQ(d.skipped, 0u);
  // Below the lot step.
  TrailingStop lot = make(cfg(F(1)), 1, F(0, 1'000'000), F(0, 1'000'000), 0);
  EXPECT_EQ(lot.evaluate(0, F(0, 900'000), F(100), F(99)).skipped, 1u);
  // Lot rounding: 0.0259 at lot 0.01 -> 0.02.
  TrailingStop r = make(cfg(F(1)), 1, F(0, 1'000'000), F(0, 1'000'000), 0);
  EXPECT_EQ(r.evaluate(0, F(0, 2'590'000), F(100), F(99)).qty, F(0, 2'000'000));
}

TEST(TrailingStop, OffByDefaultAndScoped) {
  TrailingStop off = make(TrailingStopConfig{}, 2);
  EXPECT_FALSE(off.enabled(0));
  EXPECT_FALSE(off.evaluate(0, F(1), F(100), F(50)).send);
  EXPECT_EQ(off.best(0), 0) << "a disabled symbol tracks nothing";
  TrailingStop one = make(cfg(F(1), 0, kScale, {0}), 2);
  EXPECT_TRUE(one.enabled(0));
  EXPECT_FALSE(one.enabled(1));
  EXPECT_FALSE(one.evaluate(1, F(1), F(100), F(50)).send);
  EXPECT_TRUE(one.evaluate(0, F(1), F(100), F(50)).send);
}

TEST(TrailingStop, FlatDoesNotTrack) {
  TrailingStop ts = make(cfg(F(1)));
  EXPECT_FALSE(ts.evaluate(0, 0, 0, F(100)).send);
  EXPECT_EQ(ts.best(0), 0);
}

TEST(TrailingStop, InvalidSettingsAreRefused) {
  EXPECT_THROW(make(cfg(0)), std::invalid_argument);
  EXPECT_THROW(make(cfg(F(1), -1)), std::invalid_argument);
  EXPECT_THROW(make(cfg(F(1), 0, 0)), std::invalid_argument);
}

}  // namespace
}  // namespace tp
