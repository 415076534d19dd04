// Pre-trade checks (SPEC §6, §9.16): each reject reason at its exact boundary, through the
// OrderGateway and its rings where the check depends on what the venue does (open orders).
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "core/config/config.hpp"
#include "core/threads/rings.hpp"
#include "exec/order_gateway.hpp"
#include "exec/pre_trade_checks.hpp"
#include "exec/sim_venue.hpp"

namespace tp {
namespace {

constexpr Fixed F(int64_t whole, int64_t frac8 = 0) { return whole * kScale + frac8; }
constexpr int64_t kMs = 1'000'000;
constexpr int64_t kSec = 1'000'000'000;

OrderRequest market(uint64_t id, int64_t ts, Side side, Fixed qty, Fixed ref = F(100), SymbolId sym = 0) {
  OrderRequest o{};
  o.client_order_id = id;
  o.decision_ts_ns = ts;
  o.qty = qty;
  o.ref_px = ref;
  o.symbol_id = sym;
  o.side = side;
  o.type = OrderType::Market;
  return o;
}

OrderRequest limit(uint64_t id, int64_t ts, Side side, Fixed qty, Fixed px, Fixed ref = F(100), SymbolId sym = 0) {
  OrderRequest o = market(id, ts, side, qty, ref, sym);
  o.type = OrderType::Limit;
  o.price = px;
  return o;
}

RiskConfig wide_open() {
  RiskConfig r;
  r.max_orders_per_sec = 1'000'000;
  r.max_open_orders = 1'000'000;
  return r;
}

// Gateway + simulated venue on rings B and C, driven by hand.
struct Gw {
  Config cfg;
  std::unique_ptr<GatewayRing> b = std::make_unique<GatewayRing>();
  std::unique_ptr<ExecRing> c = std::make_unique<ExecRing>();
  SimVenue venue;
  OrderGateway<SimVenue> gateway;

  explicit Gw(const RiskConfig& risk, const SimConfig& sim = {}, std::size_t symbols = 2)
      : venue(sim, symbols), gateway(risk, venue, *b, *c, WaitKind::SpinThenYield) {}

  std::vector<ExecReport> run(const GatewayMsg& m) {
    EXPECT_TRUE(b->try_push(m));
    gateway.drain();
    std::vector<ExecReport> out;
    ExecReport r;
    while (c->try_pop(r)) out.push_back(r);
    return out;
  }
  std::vector<ExecReport> send(const OrderRequest& o) {
    GatewayMsg m;
    m.kind = GatewayMsgKind::Order;
    m.order = o;
    return run(m);
  }
  // The single report an order got now; RejectReason::None when it was accepted without one.
  RejectReason verdict(const OrderRequest& o) {
    const auto rs = send(o);
    EXPECT_LE(rs.size(), 1u);
    if (rs.empty() || rs[0].kind != ExecKind::Reject) return RejectReason::None;
    return rs[0].reason;
  }
  std::vector<ExecReport> top(int64_t ts, Fixed bid, Fixed ask, SymbolId sym = 0) {
    GatewayMsg m;
    m.kind = GatewayMsgKind::BookTop;
    m.book = BookTopUpdate{ts, ts, bid, F(1000), ask, F(1000), sym};
    return run(m);
  }
  std::vector<ExecReport> cancel(uint64_t id, int64_t ts) {
    GatewayMsg m;
    m.kind = GatewayMsgKind::Cancel;
    m.cancel = CancelRequest{id, ts};
    return run(m);
  }
  void state(TradingState s) {
    GatewayMsg m;
    m.kind = GatewayMsgKind::State;
    m.state = StateUpdate{0, s};
    run(m);
  }
};

// ---- state -------------------------------------------------------------------------------------

TEST(PreTradeChecks, StateAllowsOnlyReducingOrdersWhenNotActive) {
  Gw g(wide_open());
  OrderRequest open = limit(1, 1, Side::Buy, F(1), F(99));
  OrderRequest reduce = limit(2, 1, Side::Sell, F(1), F(101));
  reduce.reduces = true;
  EXPECT_EQ(g.verdict(open), RejectReason::None);
  for (TradingState s : {TradingState::Reducing, TradingState::Halted}) {
    g.state(s);
    open.client_order_id += 10;
    reduce.client_order_id += 10;
    EXPECT_EQ(g.verdict(open), RejectReason::State) << trading_state_name(s);
    EXPECT_EQ(g.verdict(reduce), RejectReason::None) << trading_state_name(s);
  }
  g.state(TradingState::Active);
  open.client_order_id += 10;
  EXPECT_EQ(g.verdict(open), RejectReason::None);
  EXPECT_EQ(g.gateway.stats().rejects[RejectReason::State], 2u);
}

// ---- max_qty / max_notional --------------------------------------------------------------------

TEST(PreTradeChecks, MaxQtyBoundary) {
  RiskConfig r = wide_open();
  r.max_order_qty = F(2, 50'000'000);
  PreTradeChecks c(r);
  EXPECT_EQ(c.evaluate(market(1, 1, Side::Buy, F(2, 50'000'000))), RejectReason::None);
  EXPECT_EQ(c.evaluate(market(1, 1, Side::Buy, F(2, 50'000'001))), RejectReason::MaxQty);
}

TEST(PreTradeChecks, MaxNotionalBoundaryUsesTouchForMarketAndPriceForLimit) {
  RiskConfig r = wide_open();
  r.max_order_notional = F(1000);
  r.price_band_pct = F(50);
  PreTradeChecks c(r);
  EXPECT_EQ(c.evaluate(market(1, 1, Side::Buy, F(10), F(100))), RejectReason::None);  // exactly 1000
  EXPECT_EQ(c.evaluate(market(1, 1, Side::Buy, F(10), F(100, 1))), RejectReason::MaxNotional);
  EXPECT_EQ(c.evaluate(limit(1, 1, Side::Buy, F(10), F(100), F(120))), RejectReason::None);
  EXPECT_EQ(c.evaluate(limit(1, 1, Side::Buy, F(10), F(100, 1), F(90))), RejectReason::MaxNotional);
}

// ---- price_band --------------------------------------------------------------------------------

TEST(PreTradeChecks, PriceBandEdgesAreInsideOneUnitBeyondIsOut) {
  PreTradeChecks c(wide_open());  // default band 5%
  EXPECT_EQ(c.evaluate(limit(1, 1, Side::Buy, F(1), F(105), F(100))), RejectReason::None);
  EXPECT_EQ(c.evaluate(limit(1, 1, Side::Buy, F(1), F(105, 1), F(100))), RejectReason::PriceBand);
  EXPECT_EQ(c.evaluate(limit(1, 1, Side::Sell, F(1), F(95), F(100))), RejectReason::None);
  EXPECT_EQ(c.evaluate(limit(1, 1, Side::Sell, F(1), F(94, 99'999'999), F(100))), RejectReason::PriceBand);
  // Either side of the reference, for either order side.
  EXPECT_EQ(c.evaluate(limit(1, 1, Side::Sell, F(1), F(105), F(100))), RejectReason::None);
  EXPECT_EQ(c.evaluate(limit(1, 1, Side::Buy, F(1), F(94, 99'999'999), F(100))), RejectReason::PriceBand);
}

TEST(PreTradeChecks, PriceBandFractionalPercentIsExact) {
  RiskConfig r = wide_open();
  r.price_band_pct = 25'000'000;  // 0.25%
  PreTradeChecks c(r);
  // 0.25% of 60000.12345678 = 150.00030864195: the edge is not a whole 1e-8 number, so the last
  // price inside is +150.00030864 and the next unit is outside.
  const Fixed ref = F(60000, 12'345'678);
  EXPECT_EQ(c.evaluate(limit(1, 1, Side::Buy, F(0, 1000), ref + F(150, 30'864), ref)), RejectReason::None);
  EXPECT_EQ(c.evaluate(limit(1, 1, Side::Buy, F(0, 1000), ref + F(150, 30'865), ref)), RejectReason::PriceBand);
  EXPECT_EQ(c.evaluate(limit(1, 1, Side::Sell, F(0, 1000), ref - F(150, 30'864), ref)), RejectReason::None);
  EXPECT_EQ(c.evaluate(limit(1, 1, Side::Sell, F(0, 1000), ref - F(150, 30'865), ref)), RejectReason::PriceBand);
}

TEST(PreTradeChecks, PriceBandAppliesToLimitOrdersOnly) {
  PreTradeChecks c(wide_open());
  EXPECT_EQ(c.evaluate(market(1, 1, Side::Buy, F(1), F(100))), RejectReason::None);
  EXPECT_EQ(c.evaluate(limit(1, 1, Side::Buy, F(1), F(100), 0)), RejectReason::PriceBand) << "no reference";
  EXPECT_EQ(c.evaluate(limit(1, 1, Side::Buy, F(1), 0, F(100))), RejectReason::PriceBand) << "no price";
}

// ---- max_open_orders ---------------------------------------------------------------------------

TEST(PreTradeChecks, MaxOpenOrdersIsFreedByAFullFillAndByACancel) {
  RiskConfig r = wide_open();
  r.max_open_orders = 2;
  Gw g(r);
  g.top(1, F(99), F(101));
  EXPECT_EQ(g.verdict(limit(1, 10, Side::Buy, F(1), F(100))), RejectReason::None);  // rests
  EXPECT_EQ(g.verdict(limit(2, 10, Side::Buy, F(2), F(98))), RejectReason::None);   // rests
  EXPECT_EQ(g.gateway.checks().open_orders(), 2u);
  EXPECT_EQ(g.verdict(limit(3, 10, Side::Buy, F(3), F(97))), RejectReason::MaxOpenOrders);

  // A partial fill does not free the place; the fill that completes the order does.
  GatewayMsg m;
  m.kind = GatewayMsgKind::BookTop;
  m.book = BookTopUpdate{20, 20, F(99), F(1), F(100), F(0, 40'000'000), 0};
  auto rs = g.run(m);
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_FALSE(rs[0].last);
  EXPECT_EQ(g.verdict(limit(4, 20, Side::Buy, F(4), F(97))), RejectReason::MaxOpenOrders);
  rs = g.top(30, F(99), F(100));
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_TRUE(rs[0].last);
  EXPECT_EQ(g.verdict(limit(5, 30, Side::Buy, F(5), F(97))), RejectReason::None);
  EXPECT_EQ(g.verdict(limit(6, 30, Side::Buy, F(6), F(97))), RejectReason::MaxOpenOrders);

  // A cancel frees it too.
  rs = g.cancel(2, 40);
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].kind, ExecKind::Cancel);
  EXPECT_EQ(g.verdict(limit(7, 40, Side::Buy, F(7), F(97))), RejectReason::None);
  EXPECT_EQ(g.gateway.stats().rejects[RejectReason::MaxOpenOrders], 3u);
}

TEST(PreTradeChecks, MaxOpenOrdersIsFreedByAVenueRejectAndImmediateFills) {
  RiskConfig r = wide_open();
  r.max_open_orders = 2;
  SimConfig sim;
  sim.max_orders = 1;
  Gw g(r, sim);
  g.top(1, F(99), F(101));
  // Market orders that fill at once are open only until their fill.
  for (uint64_t id = 1; id <= 3; ++id) EXPECT_EQ(g.verdict(market(id, 5, Side::Buy, F(1))), RejectReason::None);
  EXPECT_EQ(g.gateway.checks().open_orders(), 0u);
  EXPECT_EQ(g.verdict(limit(4, 5, Side::Buy, F(1), F(100))), RejectReason::None);  // rests: the venue is full
  // Accepted by the checks (1 open < 2), refused by the full venue: its place is freed at once.
  for (uint64_t id = 5; id <= 6; ++id) {
    const auto rs = g.send(limit(id, 5, Side::Buy, F(2), F(99)));
    ASSERT_EQ(rs.size(), 1u);
    EXPECT_EQ(rs[0].kind, ExecKind::Reject);
    EXPECT_EQ(rs[0].reason, RejectReason::Venue);
    EXPECT_EQ(g.gateway.checks().open_orders(), 1u);
  }
  EXPECT_EQ(g.gateway.stats().accepted, 6u);
  EXPECT_EQ(g.gateway.stats().venue_rejected, 2u);
  EXPECT_EQ(g.gateway.stats().rejects[RejectReason::Venue], 2u);
  EXPECT_EQ(g.gateway.stats().rejected, 0u) << "rejected counts pre-trade rejects only";
}

// ---- rate_limit --------------------------------------------------------------------------------

TEST(PreTradeChecks, RateLimitNInOneNanosecondThenOneTokenPerOneNth) {
  RiskConfig r = wide_open();
  r.max_orders_per_sec = 4;
  Gw g(r);
  g.top(1, F(99), F(101));
  const int64_t t0 = 1'700'000'000 * kSec;
  uint64_t id = 1;
  for (int i = 0; i < 4; ++i) EXPECT_EQ(g.verdict(market(id++, t0, Side::Buy, F(1))), RejectReason::None) << i;
  EXPECT_EQ(g.verdict(market(id++, t0, Side::Buy, F(1))), RejectReason::RateLimit);
  // 1/4 s refills one token: one nanosecond before, still empty.
  EXPECT_EQ(g.verdict(market(id++, t0 + 250 * kMs - 1, Side::Buy, F(1))), RejectReason::RateLimit);
  EXPECT_EQ(g.verdict(market(id++, t0 + 250 * kMs, Side::Buy, F(1))), RejectReason::None);
  EXPECT_EQ(g.verdict(market(id++, t0 + 250 * kMs, Side::Buy, F(1))), RejectReason::RateLimit);
  // Continuous refill: half a token at +375 ms, a whole one at +500 ms.
  EXPECT_EQ(g.verdict(market(id++, t0 + 375 * kMs, Side::Buy, F(1))), RejectReason::RateLimit);
  EXPECT_EQ(g.verdict(market(id++, t0 + 500 * kMs, Side::Buy, F(1))), RejectReason::None);
  // A long pause fills the bucket to its size, not beyond.
  const int64_t t1 = t0 + 3600 * kSec;
  for (int i = 0; i < 4; ++i) EXPECT_EQ(g.verdict(market(id++, t1, Side::Buy, F(1))), RejectReason::None) << i;
  EXPECT_EQ(g.verdict(market(id++, t1, Side::Buy, F(1))), RejectReason::RateLimit);
  EXPECT_EQ(g.gateway.stats().rejects[RejectReason::RateLimit], 5u);
}

TEST(PreTradeChecks, RateLimitRefillIsExactForRatesThatDoNotDivideASecond) {
  RiskConfig r = wide_open();
  r.max_orders_per_sec = 3;  // one token per 333,333,333.33 ns
  PreTradeChecks c(r);
  uint64_t id = 1;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(c.check(market(id++, 0, Side::Buy, F(1))), RejectReason::None);
  EXPECT_EQ(c.check(market(id++, 333'333'333, Side::Buy, F(1))), RejectReason::RateLimit);
  EXPECT_EQ(c.nanotokens_at(333'333'333), 999'999'999);
  EXPECT_EQ(c.check(market(id++, 333'333'334, Side::Buy, F(1))), RejectReason::None);
  EXPECT_EQ(c.nanotokens_at(333'333'334), 2);
}

TEST(PreTradeChecks, RejectedOrdersTakeNoToken) {
  RiskConfig r = wide_open();
  r.max_orders_per_sec = 1;
  r.max_order_qty = F(10);
  r.duplicate_window_ms = 1000;
  PreTradeChecks c(r);
  // Rejected by an earlier check (max_qty) and by a later one (duplicate): no token taken.
  EXPECT_EQ(c.check(market(1, 0, Side::Buy, F(11))), RejectReason::MaxQty);
  EXPECT_EQ(c.check(market(2, 0, Side::Buy, F(1))), RejectReason::None);
  EXPECT_EQ(c.nanotokens_at(0), 0);
  EXPECT_EQ(c.check(market(3, kSec, Side::Buy, F(1))), RejectReason::None) << "a duplicate only 1 s later is not";
  EXPECT_EQ(c.check(market(4, 2 * kSec, Side::Buy, F(2))), RejectReason::None);
  EXPECT_EQ(c.check(market(5, 3 * kSec - 1, Side::Buy, F(2))), RejectReason::RateLimit)
      << "the rate limit is checked before the duplicate guard";
  EXPECT_EQ(c.check(market(6, 3 * kSec, Side::Sell, F(2))), RejectReason::None);
  EXPECT_EQ(c.check(market(7, 4 * kSec - 1, Side::Sell, F(2))), RejectReason::RateLimit);
}

TEST(PreTradeChecks, DuplicateRejectLeavesItsToken) {
  RiskConfig r = wide_open();
  r.max_orders_per_sec = 1;
  r.duplicate_window_ms = 5000;
  PreTradeChecks c(r);
  EXPECT_EQ(c.check(market(1, 0, Side::Buy, F(1))), RejectReason::None);
  EXPECT_EQ(c.check(market(2, 2 * kSec, Side::Buy, F(1))), RejectReason::Duplicate);
  EXPECT_EQ(c.nanotokens_at(2 * kSec), PreTradeChecks::kNanotokensPerToken) << "still full";
  EXPECT_EQ(c.check(market(3, 2 * kSec, Side::Buy, F(3))), RejectReason::None);
}

// ---- duplicate ---------------------------------------------------------------------------------

TEST(PreTradeChecks, DuplicateWindowBoundaryByEngineClock) {
  RiskConfig r = wide_open();
  r.duplicate_window_ms = 100;
  PreTradeChecks c(r);
  const int64_t t0 = 5 * kSec;
  EXPECT_EQ(c.check(limit(1, t0, Side::Buy, F(1), F(101))), RejectReason::None);
  EXPECT_EQ(c.check(limit(2, t0, Side::Buy, F(1), F(101))), RejectReason::Duplicate);
  EXPECT_EQ(c.check(limit(3, t0 + 100 * kMs - 1, Side::Buy, F(1), F(101))), RejectReason::Duplicate);
  // Exactly the window after the accepted one: outside (the rejected ones do not extend it).
  EXPECT_EQ(c.check(limit(4, t0 + 100 * kMs, Side::Buy, F(1), F(101))), RejectReason::None);
  EXPECT_EQ(c.check(limit(5, t0 + 150 * kMs, Side::Buy, F(1), F(101))), RejectReason::Duplicate);
}

TEST(PreTradeChecks, DuplicateNeedsEveryFieldEqual) {
  RiskConfig r = wide_open();
  r.duplicate_window_ms = 1000;
  PreTradeChecks c(r);
  EXPECT_EQ(c.check(limit(1, 0, Side::Buy, F(1), F(101), F(100), 0)), RejectReason::None);
  EXPECT_EQ(c.check(limit(2, 1, Side::Buy, F(1), F(101), F(100), 1)), RejectReason::None) << "symbol";
  EXPECT_EQ(c.check(limit(3, 1, Side::Sell, F(1), F(101), F(100), 0)), RejectReason::None) << "side";
  EXPECT_EQ(c.check(limit(4, 1, Side::Buy, F(1, 1), F(101), F(100), 0)), RejectReason::None) << "qty";
  EXPECT_EQ(c.check(limit(5, 1, Side::Buy, F(1), F(101, 1), F(100), 0)), RejectReason::None) << "price";
  EXPECT_EQ(c.check(market(6, 1, Side::Buy, F(1), F(101), 0)), RejectReason::None) << "type (and price)";
  // ref_px, reason and client_order_id are not part of the identity.
  OrderRequest again = limit(7, 2, Side::Buy, F(1), F(101), F(99), 0);
  again.reason = OrderReason::Operator;
  EXPECT_EQ(c.check(again), RejectReason::Duplicate);
  EXPECT_EQ(c.check(market(8, 3, Side::Buy, F(1), F(90), 0)), RejectReason::Duplicate)
      << "two market orders of the same size are duplicates whatever the touch";
}

TEST(PreTradeChecks, DuplicateGuardOffByDefault) {
  PreTradeChecks c(wide_open());
  EXPECT_EQ(c.duplicate_capacity(), 0u);
  EXPECT_EQ(c.check(market(1, 0, Side::Buy, F(1))), RejectReason::None);
  EXPECT_EQ(c.check(market(2, 0, Side::Buy, F(1))), RejectReason::None);
}

TEST(PreTradeChecks, DuplicateMemoryHoldsEveryOrderTheRateLimitAllowsInAWindow) {
  RiskConfig r;
  r.max_open_orders = 1'000'000;
  r.max_orders_per_sec = 10;
  r.duplicate_window_ms = 1000;
  PreTradeChecks c(r);
  EXPECT_EQ(c.duplicate_capacity(), 21u);  // 10 + 10 * 1 s + 1
  // Drive the maximum the rate limit allows through one window; the first is still remembered.
  uint64_t id = 1;
  int64_t t = 0;
  EXPECT_EQ(c.check(market(id++, t, Side::Buy, F(1))), RejectReason::None);
  for (int i = 1; i < 10; ++i) EXPECT_EQ(c.check(market(id++, t, Side::Buy, F(1, i))), RejectReason::None);
  for (int i = 0; i < 8; ++i) {
    t += 100 * kMs;
    EXPECT_EQ(c.check(market(id++, t, Side::Buy, F(2, i))), RejectReason::None);
  }
  // 18 orders later, with a token to spare, the first one is still known.
  EXPECT_EQ(c.check(market(id++, kSec - 1, Side::Buy, F(1))), RejectReason::Duplicate);
  EXPECT_EQ(c.check(market(id++, kSec, Side::Buy, F(1))), RejectReason::None);

  r.max_orders_per_sec = 1'000'000;
  r.duplicate_window_ms = 3'600'000;
  EXPECT_EQ(PreTradeChecks(r).duplicate_capacity(), PreTradeChecks::kMaxDuplicateMemory);
}

// ---- evaluation order and counters ------------------------------------------------------------

TEST(PreTradeChecks, ChecksRunInRejectReasonOrder) {
  RiskConfig r;
  r.max_order_qty = F(1);
  r.max_order_notional = F(50);
  r.max_open_orders = 1;
  r.max_orders_per_sec = 1;
  r.duplicate_window_ms = 2000;
  PreTradeChecks c(r);
  ASSERT_EQ(c.check(limit(1, 0, Side::Buy, F(0, 10'000'000), F(100))), RejectReason::None);
  c.set_state(TradingState::Halted);
  // Fails everything; each step below removes the first failure.
  OrderRequest o = limit(2, 0, Side::Buy, F(2), F(200));
  EXPECT_EQ(c.evaluate(o), RejectReason::State);
  o.reduces = true;
  EXPECT_EQ(c.evaluate(o), RejectReason::MaxQty);
  o.qty = F(0, 50'000'000);
  EXPECT_EQ(c.evaluate(o), RejectReason::MaxNotional);
  o.qty = F(0, 10'000'000);
  EXPECT_EQ(c.evaluate(o), RejectReason::PriceBand);
  o.price = F(100);
  EXPECT_EQ(c.evaluate(o), RejectReason::MaxOpenOrders);
  c.on_order_finished();
  EXPECT_EQ(c.evaluate(o), RejectReason::RateLimit);
  o.decision_ts_ns = kSec;
  EXPECT_EQ(c.evaluate(o), RejectReason::Duplicate);
  o.decision_ts_ns = 2 * kSec;
  EXPECT_EQ(c.evaluate(o), RejectReason::None);
}

TEST(PreTradeChecks, GatewayCountsRejectsByReasonWithNames) {
  RiskConfig r = wide_open();
  r.max_order_qty = F(1);
  Gw g(r);
  g.send(market(1, 0, Side::Buy, F(2)));
  g.send(limit(2, 0, Side::Buy, F(1), F(200)));
  g.send(market(3, 0, Side::Buy, F(1)));  // no book top yet: waits at the venue
  const GatewayStats& s = g.gateway.stats();
  EXPECT_EQ(s.orders, 3u);
  EXPECT_EQ(s.accepted, 1u);
  EXPECT_EQ(s.rejected, 2u);
  EXPECT_EQ(s.rejects[RejectReason::MaxQty], 1u);
  EXPECT_EQ(s.rejects[RejectReason::PriceBand], 1u);
  EXPECT_EQ(s.rejects.total(), 2u);
  EXPECT_EQ(reject_counter_name(RejectReason::MaxOpenOrders), "max_open_orders");
  for (std::size_t i = 0; i < kRejectReasonCount; ++i)
    EXPECT_EQ(kRejectReasonNames[i], reject_reason_name(static_cast<RejectReason>(i)));
}

}  // namespace
}  // namespace tp
