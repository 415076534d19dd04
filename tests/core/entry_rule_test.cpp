// EntryRule (core/strategy/entry_rule.hpp): the momentum breakout — window filling and sliding, exact bps
// boundary up and down, short disabled, flat_and_idle, cooldown, lot rounding, min qty/notional,
// invalid book tops.
#include "core/strategy/entry_rule.hpp"

#include <gtest/gtest.h>

namespace tp {
namespace {

constexpr Fixed F(int64_t whole, int64_t frac8 = 0) { return whole * kScale + frac8; }
constexpr Fixed kHalfSpread = F(0, 1'000'000);  // 0.01

EntryConfig cfg(int64_t lookback, Fixed bps, int64_t cooldown = 0, bool allow_short = false,
                Fixed notional = F(1000)) {
  EntryConfig c;
  c.kind = EntryKind::MomentumBreakout;
  c.lookback = lookback;
  c.breakout_bps = bps;
  c.cooldown_events = cooldown;
  c.allow_short = allow_short;
  c.notional = notional;
  return c;
}

// lot 0.001, min_qty 0.001, min_notional 5
EntryRule make(const EntryConfig& c, std::size_t symbols = 1, Fixed lot = F(0, 100'000),
               Fixed min_qty = F(0, 100'000), Fixed min_notional = F(5)) {
  return EntryRule(c, std::vector<SymbolRules>(symbols, SymbolRules{lot, min_qty, min_notional}));
}

// A book top around `mid` (spread 0.02), flat and idle unless told.
RuleDecision at(EntryRule& e, Fixed mid, bool idle = true, SymbolId id = 0) {
  return e.on_book_top(id, mid - kHalfSpread, mid + kHalfSpread, idle);
}

void fill(EntryRule& e, std::initializer_list<Fixed> mids, SymbolId id = 0) {
  for (Fixed m : mids) {
    const RuleDecision d = at(e, m, true, id);
    ASSERT_FALSE(d.send);
    ASSERT_EQ(d.skipped, 0u);
  }
}

TEST(EntryRule, QuantityIsNotionalOverTouchRoundedDownToLot) {
  // 1000 / 100.06 = 9.99400... -> 9.994 (9.995 * 100.06 = 1000.0997 > 1000).
  EXPECT_EQ(EntryRule::entry_qty(F(1000), F(100, 6'000'000), F(0, 100'000)), F(9, 99'400'000));
  // Exact division: 1000 / 100 = 10.
  EXPECT_EQ(EntryRule::entry_qty(F(1000), F(100), F(0, 100'000)), F(10));
  // lot 1: 1000 / 60000 -> 0.
  EXPECT_EQ(EntryRule::entry_qty(F(1000), F(60000), F(1)), 0);
  EXPECT_EQ(EntryRule::entry_qty(F(1000), 0, F(1)), 0);
  // A tiny price cannot overflow: clamped to the largest lot multiple in int64.
  const Fixed big = EntryRule::entry_qty(F(1'000'000'000), 1, F(0, 100'000));
  EXPECT_GT(big, 0);
  EXPECT_EQ(big % F(0, 100'000), 0);
}

TEST(EntryRule, BreakoutTestsAreExact) {
  // 5 bps over 100 = 100.05.
  EXPECT_TRUE(EntryRule::breaks_above(F(100, 5'000'000), F(100), F(5)));
  EXPECT_FALSE(EntryRule::breaks_above(F(100, 4'999'999), F(100), F(5)));
  EXPECT_TRUE(EntryRule::breaks_below(F(99, 95'000'000), F(100), F(5)));
  EXPECT_FALSE(EntryRule::breaks_below(F(99, 95'000'001), F(100), F(5)));
  // 0 bps: a strictly new high/low.
  EXPECT_TRUE(EntryRule::breaks_above(F(100) + 1, F(100), 0));
  EXPECT_FALSE(EntryRule::breaks_above(F(100), F(100), 0));
  EXPECT_FALSE(EntryRule::breaks_below(F(100), F(100), 0));
}

TEST(EntryRule, WindowMustFillBeforeTheFirstEntry) {
  EntryRule e = make(cfg(3, 0));
  EXPECT_FALSE(at(e, F(100)).send);
  EXPECT_FALSE(at(e, F(101)).send);
  EXPECT_FALSE(at(e, F(102)).send) << "only 2 previous mids";
  EXPECT_EQ(e.window_size(0), 3u);
  const RuleDecision d = at(e, F(103));
  ASSERT_TRUE(d.send) << "the lookback+1-th book top is the first that can enter";
  EXPECT_EQ(d.side, Side::Buy);
  EXPECT_EQ(e.window_size(0), 3u);
}

TEST(EntryRule, BuyBoundaryIsExactInBasisPoints) {
  // Window of mids 100; 5 bps above = mid 100.05.
  EntryRule hit = make(cfg(3, F(5)));
  fill(hit, {F(100), F(100), F(100)});
  const RuleDecision d = hit.on_book_top(0, F(100, 4'000'000), F(100, 6'000'000), true);  // mid 100.05
  ASSERT_TRUE(d.send);
  EXPECT_EQ(d.side, Side::Buy);
  EXPECT_EQ(d.qty, F(9, 99'400'000)) << "1000 / ask 100.06, lot 0.001";
  EXPECT_EQ(d.skipped, 0u);

  EntryRule miss = make(cfg(3, F(5)));
  fill(miss, {F(100), F(100), F(100)});
  // ask one unit lower: mid 100.049999995, half a unit short.
  EXPECT_FALSE(miss.on_book_top(0, F(100, 4'000'000), F(100, 5'999'999), true).send);
}

TEST(EntryRule, SellBoundaryWhenShortsAllowed) {
  EntryRule hit = make(cfg(3, F(5), 0, /*allow_short=*/true));
  fill(hit, {F(100), F(101), F(100)});
  // 5 bps below min 100 = 99.95.
  const RuleDecision d = hit.on_book_top(0, F(99, 94'000'000), F(99, 96'000'000), true);
  ASSERT_TRUE(d.send);
  EXPECT_EQ(d.side, Side::Sell);
  EXPECT_EQ(d.qty, F(10, 600'000)) << "1000 / bid 99.94 = 10.00600... -> 10.006";
  // Check: 10.006 * 99.94 = 999.99964 <= 1000; 10.007 * 99.94 > 1000.

  EntryRule miss = make(cfg(3, F(5), 0, true));
  fill(miss, {F(100), F(101), F(100)});
  EXPECT_FALSE(miss.on_book_top(0, F(99, 94'000'001), F(99, 96'000'000), true).send);
}

TEST(EntryRule, ShortDisabledByDefault) {
  EntryRule e = make(cfg(3, F(5)));
  fill(e, {F(100), F(100), F(100)});
  const RuleDecision d = at(e, F(90));
  EXPECT_FALSE(d.send);
  EXPECT_EQ(d.skipped, 0u) << "not a skip: there is no short entry to make";
}

TEST(EntryRule, WindowSlidesOldMidsOut) {
  EntryRule e = make(cfg(2, 0));
  fill(e, {F(110), F(100)});
  EXPECT_FALSE(at(e, F(105)).send) << "110 is still in the window";
  EXPECT_FALSE(at(e, F(104)).send) << "window {100, 105}";
  EXPECT_TRUE(at(e, F(106)).send) << "window {105, 104}: 110 and 100 have left";
}

TEST(EntryRule, EqualToTheMaxIsNoBreakout) {
  EntryRule e = make(cfg(2, 0));
  fill(e, {F(100), F(100)});
  EXPECT_FALSE(at(e, F(100)).send);
}

TEST(EntryRule, OnlyWhenFlatAndIdleButAlwaysRecords) {
  EntryRule e = make(cfg(2, 0));
  EXPECT_FALSE(at(e, F(100), false).send);
  EXPECT_FALSE(at(e, F(101), false).send);
  EXPECT_FALSE(at(e, F(102), false).send) << "a breakout while not flat and idle does nothing";
  EXPECT_EQ(e.window_size(0), 2u);
  EXPECT_FALSE(at(e, F(102)).send) << "102 was recorded: window {101, 102}";
  EXPECT_TRUE(at(e, F(103)).send);
}

TEST(EntryRule, CooldownBlocksTheNextEventsOfTheSymbol) {
  EntryRule e = make(cfg(1, 0, /*cooldown=*/3));
  fill(e, {F(100)});
  ASSERT_TRUE(at(e, F(101)).send);
  EXPECT_EQ(e.cooldown_left(0), 3);
  EXPECT_FALSE(at(e, F(102)).send);
  EXPECT_FALSE(at(e, F(103), false).send) << "events count whether flat or not";
  EXPECT_FALSE(e.on_book_top(0, 0, F(104), true).send) << "an invalid book top counts too";
  EXPECT_EQ(e.cooldown_left(0), 0);
  EXPECT_TRUE(at(e, F(105)).send) << "the cooldown+1-th event after the entry can enter";
}

TEST(EntryRule, ZeroCooldownAllowsTheNextEvent) {
  EntryRule e = make(cfg(1, 0, 0));
  fill(e, {F(100)});
  EXPECT_TRUE(at(e, F(101)).send);
  EXPECT_TRUE(at(e, F(102)).send);
}

TEST(EntryRule, MinNotionalSkipsAndStartsNoCooldown) {
  // notional 4.99 at min_notional 5: every breakout is skipped and counted.
  EntryRule e = make(cfg(1, 0, 100, false, F(4, 99'000'000)));
  fill(e, {F(100)});
  RuleDecision d = at(e, F(101));
  EXPECT_FALSE(d.send);
  EXPECT_EQ(d.skipped, 1u);
  EXPECT_EQ(e.cooldown_left(0), 0);
  d = at(e, F(102));
  EXPECT_EQ(d.skipped, 1u);
  // The notional check is exact at the touch: 5.04 / ask 1.01 -> 4.99 (lot 0.01): 5.0399 >= 5.
  EntryRule ok = make(cfg(1, 0, 0, false, F(5, 4'000'000)), 1, F(0, 1'000'000), F(0, 1'000'000), F(5));
  fill(ok, {F(0, 90'000'000)});
  d = at(ok, F(1));
  ASSERT_TRUE(d.send);
  EXPECT_EQ(d.qty, F(4, 99'000'000));
}

TEST(EntryRule, MinQtyAndLotStepSkip) {
  // 1000 / 60000.01 = 0.0166 -> lot 0.01 -> 0.01 < min_qty 0.02.
  EntryRule minq = make(cfg(1, 0), 1, F(0, 1'000'000), F(0, 2'000'000), 0);
  fill(minq, {F(59000)});
  EXPECT_EQ(at(minq, F(60000)).skipped, 1u);
  // lot 1: 1000 / 60000.01 -> 0.
  EntryRule lot = make(cfg(1, 0), 1, F(1), F(1), 0);
  fill(lot, {F(59000)});
  EXPECT_EQ(at(lot, F(60000)).skipped, 1u);
}

TEST(EntryRule, InvalidBookTopsAreNotRecorded) {
  EntryRule e = make(cfg(2, 0));
  EXPECT_FALSE(e.on_book_top(0, 0, F(100), true).send);
  EXPECT_FALSE(e.on_book_top(0, F(100), 0, true).send);
  EXPECT_FALSE(e.on_book_top(0, F(101), F(100), true).send) << "crossed";
  EXPECT_EQ(e.window_size(0), 0u);
  EXPECT_FALSE(e.on_book_top(0, F(100), F(100), true).send) << "locked is valid";
  EXPECT_EQ(e.window_size(0), 1u);
}

TEST(EntryRule, SymbolsHaveTheirOwnWindowAndCooldown) {
  EntryRule e = make(cfg(1, 0, 5), 2);
  fill(e, {F(100)}, 0);
  ASSERT_TRUE(at(e, F(101), true, 0).send);
  EXPECT_EQ(e.window_size(1), 0u);
  fill(e, {F(50)}, 1);
  EXPECT_TRUE(at(e, F(51), true, 1).send) << "symbol 0's cooldown does not block symbol 1";
  EXPECT_EQ(e.cooldown_left(0), 5);
}

TEST(EntryRule, NoneNeverEnters) {
  EntryRule e(EntryConfig{}, {SymbolRules{F(0, 100'000), F(0, 100'000), 0}});
  EXPECT_FALSE(e.active());
  for (int i = 0; i < 50; ++i) {
    const RuleDecision d = at(e, F(100 + i));
    EXPECT_FALSE(d.send);
    EXPECT_EQ(d.skipped, 0u);
  }
  EXPECT_EQ(e.window_size(0), 0u);
}

TEST(EntryRule, InvalidSettingsAreRefused) {
  EXPECT_THROW(make(cfg(0, 0)), std::invalid_argument);
  EXPECT_THROW(make(cfg(kMaxEntryLookback + 1, 0)), std::invalid_argument);
  EXPECT_THROW(make(cfg(1, -1)), std::invalid_argument);
  EXPECT_THROW(make(cfg(1, 0, -1)), std::invalid_argument);
  EXPECT_THROW(make(cfg(1, 0, 0, false, 0)), std::invalid_argument);
}

}  // namespace
}  // namespace tp
