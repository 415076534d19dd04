// The simulated venue (SPEC §6, §9.12) through the OrderGateway and its rings: resting limit
// orders, crossing limit orders, partial fills with `last`, per-fill fees (SPEC §9.8), cancels,
// latency, capacity. Modelling choices: docs/decisions.md "Simulated venue and pre-trade checks".
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "core/config/config.hpp"
#include "core/threads/rings.hpp"
#include "exec/order_gateway.hpp"
#include "exec/sim_venue.hpp"

namespace tp {
namespace {

constexpr Fixed F(int64_t whole, int64_t frac8 = 0) { return whole * kScale + frac8; }

OrderRequest market(uint64_t id, int64_t ts, Side side, Fixed qty, Fixed ref = F(100)) {
  OrderRequest o{};
  o.client_order_id = id;
  o.decision_ts_ns = ts;
  o.qty = qty;
  o.ref_px = ref;
  o.side = side;
  o.type = OrderType::Market;
  return o;
}

OrderRequest limit(uint64_t id, int64_t ts, Side side, Fixed qty, Fixed px, Fixed ref = F(100)) {
  OrderRequest o = market(id, ts, side, qty, ref);
  o.type = OrderType::Limit;
  o.price = px;
  return o;
}

SimConfig sim_cfg(int64_t latency = 0, Fixed taker = F(10), std::optional<Fixed> maker = F(2)) {
  SimConfig s;
  s.latency_ns = latency;
  s.taker_fee_bps = taker;
  s.maker_fee_bps = maker;
  return s;
}

struct Gw {
  std::unique_ptr<GatewayRing> b = std::make_unique<GatewayRing>();
  std::unique_ptr<ExecRing> c = std::make_unique<ExecRing>();
  SimVenue venue;
  OrderGateway<SimVenue> gateway;

  explicit Gw(const SimConfig& sim, RiskConfig risk = {})
      : venue(sim, 2), gateway(relaxed(risk), venue, *b, *c, WaitKind::SpinThenYield) {}

  static RiskConfig relaxed(RiskConfig r) {
    r.max_orders_per_sec = 1'000'000;
    r.price_band_pct = F(50);
    return r;
  }

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
  // A book top with exchange time `exch` and engine clock `engine` (defaults to exch).
  std::vector<ExecReport> top(int64_t exch, Fixed bid, Fixed bid_qty, Fixed ask, Fixed ask_qty, int64_t engine = -1,
                              SymbolId sym = 0) {
    GatewayMsg m;
    m.kind = GatewayMsgKind::BookTop;
    m.book = BookTopUpdate{engine < 0 ? exch : engine, exch, bid, bid_qty, ask, ask_qty, sym};
    return run(m);
  }
  std::vector<ExecReport> cancel(uint64_t id, int64_t ts) {
    GatewayMsg m;
    m.kind = GatewayMsgKind::Cancel;
    m.cancel = CancelRequest{id, ts};
    return run(m);
  }
};

void expect_fill(const ExecReport& r, uint64_t id, int64_t ts, Fixed qty, Fixed px, Fixed fee, bool last) {
  EXPECT_EQ(r.kind, ExecKind::Fill);
  EXPECT_EQ(r.client_order_id, id);
  EXPECT_EQ(r.ts_ns, ts);
  EXPECT_EQ(r.qty, qty);
  EXPECT_EQ(r.price, px);
  EXPECT_EQ(r.fee, fee);
  EXPECT_EQ(r.last, last);
}

// ---- resting limit orders ----------------------------------------------------------------------

TEST(SimVenue, LimitBuyRestsAndFillsAsMakerAtItsPriceWhenTheAskCrosses) {
  Gw g(sim_cfg());
  EXPECT_TRUE(g.top(1, F(99), F(1), F(101), F(1)).empty());
  EXPECT_TRUE(g.send(limit(1, 2, Side::Buy, F(1), F(100))).empty());
  EXPECT_EQ(g.venue.resting(), 1u);
  EXPECT_TRUE(g.top(3, F(99), F(1), F(100, 1), F(9)).empty()) << "one unit above the limit";
  const auto rs = g.top(4, F(98), F(1), F(99, 50'000'000), F(5));
  ASSERT_EQ(rs.size(), 1u);
  expect_fill(rs[0], 1, 4, F(1), F(100), F(0, 2'000'000), true);  // 100 * 2 bps = 0.02
  EXPECT_EQ(g.venue.open_orders(), 0u);
  EXPECT_TRUE(g.top(5, F(89), F(1), F(90), F(5)).empty());
}

TEST(SimVenue, LimitSellRestsAndFillsWhenTheBidReachesIt) {
  Gw g(sim_cfg());
  g.top(1, F(100), F(1), F(101), F(1));
  EXPECT_TRUE(g.send(limit(1, 2, Side::Sell, F(2), F(105))).empty());
  EXPECT_TRUE(g.top(3, F(104, 99'999'999), F(10), F(106), F(1)).empty());
  const auto rs = g.top(4, F(105), F(5), F(106), F(1));
  ASSERT_EQ(rs.size(), 1u);
  expect_fill(rs[0], 1, 4, F(2), F(105), F(0, 4'200'000), true);  // 210 * 2 bps
  EXPECT_EQ(rs[0].side, Side::Sell);
}

TEST(SimVenue, PartialFillsOverSeveralBookTopsWithLastAndFeesRoundedPerFill) {
  Gw g(sim_cfg(0, F(10), std::nullopt));  // maker fee defaults to the taker fee (10 bps)
  EXPECT_EQ(g.venue.maker_fee_bps(), F(10));
  g.top(1, F(0, 90'000'000), F(1), F(1, 10'000'000), F(1));
  EXPECT_TRUE(g.send(limit(1, 1, Side::Buy, F(0, 4500), F(1), F(1))).empty());  // 0.000045 @ 1
  // Each fill: 0.000015 * 1 * 10 / 10000 = 1.5e-8 -> 2e-8 (half away from zero), per fill.
  auto rs = g.top(2, F(0, 90'000'000), F(1), F(1), F(0, 1500));
  ASSERT_EQ(rs.size(), 1u);
  expect_fill(rs[0], 1, 2, F(0, 1500), F(1), 2, false);
  EXPECT_TRUE(g.top(3, F(0, 90'000'000), F(1), F(1, 1'000'000), F(1)).empty()) << "ask above the limit";
  rs = g.top(4, F(0, 90'000'000), F(1), F(0, 99'000'000), F(0, 1500));
  ASSERT_EQ(rs.size(), 1u);
  expect_fill(rs[0], 1, 4, F(0, 1500), F(1), 2, false);  // at the limit price, not the ask
  rs = g.top(5, F(0, 90'000'000), F(1), F(1), F(1));
  ASSERT_EQ(rs.size(), 1u);
  expect_fill(rs[0], 1, 5, F(0, 1500), F(1), 2, true);
  EXPECT_EQ(g.gateway.stats().fills, 3u);
  EXPECT_EQ(g.venue.open_orders(), 0u);
  EXPECT_EQ(g.gateway.checks().open_orders(), 0u);
}

TEST(SimVenue, TouchSizeOfOneBookTopIsSharedInArrivalOrder) {
  Gw g(sim_cfg());
  g.top(1, F(90), F(1), F(110), F(1));
  g.send(limit(1, 1, Side::Buy, F(0, 30'000'000), F(100)));
  g.send(limit(2, 1, Side::Buy, F(0, 40'000'000), F(100)));
  g.send(limit(3, 1, Side::Sell, F(1), F(108)));
  auto rs = g.top(2, F(90), F(1), F(100), F(0, 50'000'000));
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs[0].client_order_id, 1u);
  EXPECT_EQ(rs[0].qty, F(0, 30'000'000));
  EXPECT_TRUE(rs[0].last);
  EXPECT_EQ(rs[1].client_order_id, 2u);
  EXPECT_EQ(rs[1].qty, F(0, 20'000'000));
  EXPECT_FALSE(rs[1].last);
  rs = g.top(3, F(90), F(1), F(100), F(0, 50'000'000));
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].client_order_id, 2u);
  EXPECT_EQ(rs[0].qty, F(0, 20'000'000));
  EXPECT_TRUE(rs[0].last);
  EXPECT_EQ(g.venue.resting(), 1u) << "the sell at 108 still rests";
}

TEST(SimVenue, ZeroSizeAtTheTouchMeansUnknownAndDoesNotLimit) {
  Gw g(sim_cfg());
  g.top(1, F(90), 0, F(110), 0);
  g.send(limit(1, 1, Side::Buy, F(3), F(100)));
  const auto rs = g.top(2, F(90), 0, F(100), 0);
  ASSERT_EQ(rs.size(), 1u);
  expect_fill(rs[0], 1, 2, F(3), F(100), F(0, 6'000'000), true);
}

// ---- crossing limit orders and market orders ---------------------------------------------------

TEST(SimVenue, CrossingLimitOrderTakesAtTheTouchAtOnce) {
  Gw g(sim_cfg());
  g.top(1, F(99), F(5), F(100), F(5));
  auto rs = g.send(limit(1, 7, Side::Buy, F(2), F(101)));
  ASSERT_EQ(rs.size(), 1u);
  expect_fill(rs[0], 1, 7, F(2), F(100), F(0, 20'000'000), true);  // taker: 200 * 10 bps
  rs = g.send(limit(2, 7, Side::Sell, F(1), F(99)));  // a limit exactly at the bid crosses
  ASSERT_EQ(rs.size(), 1u);
  expect_fill(rs[0], 2, 7, F(1), F(99), F(0, 9'900'000), true);
  EXPECT_EQ(g.venue.open_orders(), 0u);
}

TEST(SimVenue, CrossingLimitTakesWhatTheTouchHasAndRestsTheRemainder) {
  Gw g(sim_cfg());
  g.top(1, F(99), F(1), F(100), F(0, 40'000'000));
  auto rs = g.send(limit(1, 1, Side::Buy, F(1), F(101)));
  ASSERT_EQ(rs.size(), 1u);
  expect_fill(rs[0], 1, 1, F(0, 40'000'000), F(100), F(0, 4'000'000), false);  // taker fee
  // The same book top has nothing left for a second crossing order: it rests.
  EXPECT_TRUE(g.send(limit(2, 1, Side::Buy, F(1), F(101))).empty());
  EXPECT_EQ(g.venue.resting(), 2u);
  rs = g.top(2, F(99), F(1), F(100, 50'000'000), F(10));
  ASSERT_EQ(rs.size(), 2u);
  // 0.6 * 101 * 2 bps = 0.01212 (maker, at the limit price)
  expect_fill(rs[0], 1, 2, F(0, 60'000'000), F(101), F(0, 1'212'000), true);
  expect_fill(rs[1], 2, 2, F(1), F(101), F(0, 2'020'000), true);
}

TEST(SimVenue, MarketOrdersFillInFullWhateverTheTouchSize) {
  Gw g(sim_cfg());
  g.top(1, F(99), F(0, 10'000'000), F(100), F(0, 10'000'000));
  auto rs = g.send(market(1, 1, Side::Buy, F(5)));
  ASSERT_EQ(rs.size(), 1u);
  expect_fill(rs[0], 1, 1, F(5), F(100), F(0, 50'000'000), true);
  rs = g.send(market(2, 1, Side::Sell, F(5)));
  ASSERT_EQ(rs.size(), 1u);
  expect_fill(rs[0], 2, 1, F(5), F(99), F(0, 49'500'000), true);
}

TEST(SimVenue, MarketOrderWaitsWhileItsSideOfTheBookIsEmpty) {
  Gw g(sim_cfg());
  g.top(1, F(99), F(1), 0, 0);
  EXPECT_TRUE(g.send(market(1, 1, Side::Buy, F(1))).empty());
  EXPECT_TRUE(g.top(2, F(99), F(1), 0, 0).empty());
  const auto rs = g.top(3, F(99), F(1), F(100), F(1));
  ASSERT_EQ(rs.size(), 1u);
  expect_fill(rs[0], 1, 3, F(1), F(100), F(0, 10'000'000), true);
}

TEST(SimVenue, LimitOrderBeforeTheFirstBookTopGoesLiveThere) {
  Gw g(sim_cfg());
  EXPECT_TRUE(g.send(limit(1, 5, Side::Buy, F(1), F(101))).empty());
  EXPECT_TRUE(g.send(limit(2, 5, Side::Buy, F(1), F(99, 50'000'000))).empty());
  EXPECT_EQ(g.venue.resting(), 0u);
  auto rs = g.top(3, F(99), F(1), F(100), F(10), /*engine=*/6);  // exchange time before the decision
  ASSERT_EQ(rs.size(), 1u);
  expect_fill(rs[0], 1, 6, F(1), F(100), F(0, 10'000'000), true);  // taker at the touch
  EXPECT_EQ(g.venue.resting(), 1u);
  rs = g.top(7, F(99), F(1), F(99, 50'000'000), F(10));
  ASSERT_EQ(rs.size(), 1u);
  expect_fill(rs[0], 2, 7, F(1), F(99, 50'000'000), F(0, 1'990'000), true);  // maker
}

// ---- cancels -----------------------------------------------------------------------------------

TEST(SimVenue, CancelRemovesARestingOrderAndReportsWhatWasFilled) {
  Gw g(sim_cfg());
  g.top(1, F(99), F(1), F(101), F(1));
  g.send(limit(1, 1, Side::Buy, F(1), F(100)));
  auto rs = g.top(2, F(99), F(1), F(100), F(0, 25'000'000));
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_FALSE(rs[0].last);
  rs = g.cancel(1, 10);
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].kind, ExecKind::Cancel);
  EXPECT_EQ(rs[0].client_order_id, 1u);
  EXPECT_EQ(rs[0].ts_ns, 10);
  EXPECT_EQ(rs[0].qty, F(0, 25'000'000)) << "filled before the cancel";
  EXPECT_EQ(rs[0].side, Side::Buy);
  EXPECT_TRUE(rs[0].last);
  EXPECT_EQ(g.venue.open_orders(), 0u);
  EXPECT_TRUE(g.top(11, F(99), F(1), F(90), F(10)).empty()) << "cancelled: no more fills";
  // A second cancel, and one for an id the venue never held: no report, counted.
  EXPECT_TRUE(g.cancel(1, 12).empty());
  EXPECT_TRUE(g.cancel(99, 12).empty());
  const GatewayStats& s = g.gateway.stats();
  EXPECT_EQ(s.cancel_requests, 3u);
  EXPECT_EQ(s.cancelled, 1u);
  EXPECT_EQ(s.cancel_unknown, 2u);
}

TEST(SimVenue, CancelOfAnOrderWaitingForItsFirstBookTop) {
  Gw g(sim_cfg());
  g.send(market(1, 1, Side::Sell, F(1)));
  const auto rs = g.cancel(1, 2);
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].kind, ExecKind::Cancel);
  EXPECT_EQ(rs[0].qty, 0);
  EXPECT_TRUE(g.top(3, F(99), F(1), F(100), F(1)).empty());
}

// ---- latency -----------------------------------------------------------------------------------

TEST(SimVenue, LatencyLimitOrderGoesLiveAtTheFirstBookTopAtOrAfterDecisionPlusLatency) {
  Gw g(sim_cfg(100));
  g.top(1000, F(99), F(1), F(100), F(1));
  EXPECT_TRUE(g.send(limit(1, 1000, Side::Buy, F(1), F(100))).empty()) << "crosses, but has not arrived";
  EXPECT_TRUE(g.top(1050, F(98), F(1), F(99), F(1)).empty());
  EXPECT_TRUE(g.top(1099, F(98), F(1), F(99), F(1), /*engine=*/1200).empty()) << "exchange time decides";
  auto rs = g.top(1100, F(98), F(1), F(99, 50'000'000), F(10));
  ASSERT_EQ(rs.size(), 1u);
  expect_fill(rs[0], 1, 1100, F(1), F(99, 50'000'000), F(0, 9'950'000), true);  // taker at the touch

  // Not crossing when it arrives: rests from then on, and fills as a maker later.
  EXPECT_TRUE(g.send(limit(2, 2000, Side::Buy, F(1), F(98))).empty());
  EXPECT_TRUE(g.top(2050, F(97), F(1), F(98), F(1)).empty()) << "would cross, not arrived yet";
  EXPECT_TRUE(g.top(2100, F(97), F(1), F(99), F(1)).empty());
  EXPECT_EQ(g.venue.resting(), 1u);
  rs = g.top(2101, F(97), F(1), F(98), F(1));
  ASSERT_EQ(rs.size(), 1u);
  expect_fill(rs[0], 2, 2101, F(1), F(98), F(0, 1'960'000), true);
}

TEST(SimVenue, LatencyCancelTakesEffectAfterTheLatencyAndEarlierFillsStand) {
  Gw g(sim_cfg(100));
  g.top(1000, F(99), F(1), F(101), F(1));
  g.send(limit(1, 1000, Side::Buy, F(1), F(100)));
  EXPECT_TRUE(g.top(1100, F(99), F(1), F(101), F(1)).empty());  // live, resting
  EXPECT_TRUE(g.cancel(1, 2000).empty()) << "the cancel is on its way";
  auto rs = g.top(2050, F(99), F(1), F(100), F(0, 30'000'000));
  ASSERT_EQ(rs.size(), 1u);
  expect_fill(rs[0], 1, 2050, F(0, 30'000'000), F(100), F(0, 600'000), false);
  rs = g.top(2100, F(98), F(1), F(99), F(10));  // due: cancelled before this book top can fill it
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].kind, ExecKind::Cancel);
  EXPECT_EQ(rs[0].ts_ns, 2100);
  EXPECT_EQ(rs[0].qty, F(0, 30'000'000));
  EXPECT_TRUE(rs[0].last);

  // Filled in full before the cancel arrives: the fill is the last report, the cancel vanishes.
  g.send(limit(2, 3000, Side::Buy, F(1), F(100)));
  g.top(3100, F(99), F(1), F(101), F(1));
  EXPECT_TRUE(g.cancel(2, 3050).empty());
  rs = g.top(3120, F(99), F(1), F(100), F(10));
  ASSERT_EQ(rs.size(), 1u);
  expect_fill(rs[0], 2, 3120, F(1), F(100), F(0, 2'000'000), true);
  EXPECT_TRUE(g.top(3150, F(99), F(1), F(100), F(10)).empty());

  // Cancelled before it ever arrived: never fills.
  g.send(market(3, 4000, Side::Buy, F(1)));
  g.cancel(3, 4000);
  rs = g.top(4100, F(99), F(1), F(100), F(10));
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].kind, ExecKind::Cancel);
  EXPECT_EQ(rs[0].qty, 0);

  const GatewayStats& s = g.gateway.stats();
  EXPECT_EQ(s.cancel_requests, 3u);
  EXPECT_EQ(s.cancelled, 2u);
  EXPECT_EQ(s.cancel_unknown, 0u);
  EXPECT_EQ(g.venue.open_orders(), 0u);
  EXPECT_EQ(g.gateway.checks().open_orders(), 0u);
}

TEST(SimVenue, LatencyCancelWaitsForABookTopOfTheOrdersSymbol) {
  Gw g(sim_cfg(100));
  g.top(1000, F(99), F(1), F(101), F(1));
  g.send(limit(1, 1000, Side::Buy, F(1), F(100)));
  g.cancel(1, 1000);
  EXPECT_TRUE(g.top(5000, F(9), F(1), F(10), F(1), -1, /*sym=*/1).empty()) << "another symbol";
  const auto rs = g.top(5001, F(99), F(1), F(101), F(1));
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].kind, ExecKind::Cancel);
}

// ---- capacity and venue rejects ----------------------------------------------------------------

TEST(SimVenue, AFullVenueRejectsOrdersItWouldHaveToHold) {
  SimConfig s = sim_cfg();
  s.max_orders = 2;
  Gw g(s);
  EXPECT_EQ(g.venue.capacity(), 2u);
  g.top(1, F(99), F(1), F(101), F(0, 50'000'000));
  EXPECT_TRUE(g.send(limit(1, 1, Side::Buy, F(1), F(98))).empty());
  EXPECT_TRUE(g.send(limit(2, 1, Side::Buy, F(1), F(97))).empty());
  auto rs = g.send(limit(3, 1, Side::Buy, F(1), F(96)));
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].kind, ExecKind::Reject);
  EXPECT_EQ(rs[0].reason, RejectReason::Venue);
  EXPECT_TRUE(rs[0].last);
  // Would fill in part and rest the rest: refused as a whole, nothing filled.
  rs = g.send(limit(4, 1, Side::Buy, F(1), F(102)));
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].kind, ExecKind::Reject);
  // Orders that need no place still trade: a crossing limit that fills in full, a market order.
  rs = g.send(limit(5, 1, Side::Buy, F(0, 20'000'000), F(102)));
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].kind, ExecKind::Fill);
  rs = g.send(market(6, 1, Side::Sell, F(3)));
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].kind, ExecKind::Fill);
  // A cancel makes room.
  g.cancel(1, 2);
  EXPECT_TRUE(g.send(limit(7, 2, Side::Buy, F(1), F(96))).empty());
  EXPECT_EQ(g.venue.open_orders(), 2u);
  EXPECT_EQ(g.gateway.stats().rejects[RejectReason::Venue], 2u);
}

TEST(SimVenue, RejectsAnIdItAlreadyHoldsAndUnusableOrders) {
  Gw g(sim_cfg());
  g.top(1, F(99), F(1), F(101), F(1));
  g.send(limit(1, 1, Side::Buy, F(1), F(98)));
  auto rs = g.send(limit(1, 1, Side::Buy, F(2), F(97)));
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].reason, RejectReason::Venue);
  rs = g.send(market(2, 1, Side::Buy, 0));
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].reason, RejectReason::Venue);
  OrderRequest bad_symbol = market(3, 1, Side::Buy, F(1));
  bad_symbol.symbol_id = 7;
  rs = g.send(bad_symbol);
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].reason, RejectReason::Venue);
  EXPECT_EQ(g.venue.open_orders(), 1u);
}

// Many orders in and out: the id index (open addressing, backward-shift deletion) keeps finding
// every order however the probe chains were built.
TEST(SimVenue, IndexSurvivesChurn) {
  SimConfig s = sim_cfg();
  s.max_orders = 64;
  RiskConfig r;
  r.max_open_orders = 1000;
  Gw g(s, r);
  g.top(1, F(90), F(1), F(110), F(1));
  uint64_t next = 1;
  std::vector<uint64_t> live;
  uint64_t rng = 12345;
  for (int step = 0; step < 5000; ++step) {
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    if (live.size() < 64 && ((rng >> 33) % 3 != 0 || live.empty())) {
      const uint64_t id = next++ * 977;  // spread ids so several share home cells
      ASSERT_TRUE(g.send(limit(id, 1, Side::Buy, F(1), F(95))).empty());
      live.push_back(id);
    } else {
      const std::size_t k = (rng >> 40) % live.size();
      const auto rs = g.cancel(live[k], 1);
      ASSERT_EQ(rs.size(), 1u) << step;
      ASSERT_EQ(rs[0].client_order_id, live[k]);
      live.erase(live.begin() + static_cast<std::ptrdiff_t>(k));
    }
    ASSERT_EQ(g.venue.open_orders(), live.size());
  }
  // Everything left fills on one crossing book top, in arrival order.
  const auto rs = g.top(2, F(90), F(1), F(95), 0);
  ASSERT_EQ(rs.size(), live.size());
  for (std::size_t i = 0; i < live.size(); ++i) EXPECT_EQ(rs[i].client_order_id, live[i]);
}

// ---- fees --------------------------------------------------------------------------------------

TEST(SimVenue, NegativeMakerFeeIsARebateRoundedHalfAwayFromZero) {
  Gw g(sim_cfg(0, F(10), -F(2, 50'000'000)));  // -2.5 bps
  g.top(1, F(0, 90'000'000), F(1), F(1, 10'000'000), F(1));
  g.send(limit(1, 1, Side::Buy, F(0, 2000), F(1), F(1)));  // 0.00002 * 1 * -2.5 bps = -0.5e-8
  const auto rs = g.top(2, F(0, 90'000'000), F(1), F(1), F(1));
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].fee, -1);
}

}  // namespace
}  // namespace tp
