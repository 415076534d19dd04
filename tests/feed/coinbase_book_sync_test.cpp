// CoinbaseBookSync with the CoinbaseNormalizer's level2 reading: the real books of two products
// (Coinbase Pro legacy feed, 2021-04-17: SKL-USD and DASH-BTC, their snapshots and all 4,517 of their
// l2updates) rebuilt and checked against everything the recording shows (each update's level, the
// ticker tops received after the books began), the sync's rules on constructed updates, what the
// normalizer refuses once depth is enabled, and that without enable_depth() nothing changed.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/types/decimal.hpp"
#include "feed/book/book_feed.hpp"
#include "feed/book/coinbase_book_sync.hpp"
#include "feed/coinbase_normalizer.hpp"
#include "feed_test_util.hpp"

namespace tp::feed {
namespace {

using test::OwnedMessage;
using T = CoinbaseMessageType;

const std::string kLevel2File =
    std::string(TP_TEST_DATA_DIR) + "/coinbase/coinbase_pro_20210417_level2_skl-usd_dash-btc.txt.gz";

std::vector<test::Line> load_level2() {
  std::vector<test::Line> out;
  for (const std::string& l : test::read_gz_lines(kLevel2File)) {
    const auto sp = l.find(' ');
    out.push_back({std::stoll(l.substr(0, sp)), l.substr(sp + 1)});
  }
  return out;
}

const std::vector<std::string> kProducts{"SKL-USD", "DASH-BTC"};

// Normalizes lines and hands each depth message to its product's sync.
class Feeder {
 public:
  explicit Feeder(std::size_t levels = 5000) {
    norm.enable_depth();
    for (std::size_t i = 0; i < kProducts.size(); ++i) syncs.emplace_back(std::make_unique<CoinbaseBookSync>(levels));
  }

  // The outcome, or nothing when the line was no depth message (`ev`/`event` then hold what the
  // normalizer made of it).
  std::optional<BookSyncOutcome> feed(std::string_view payload, int64_t recv = 1) {
    OwnedMessage m(payload, recv);
    event = norm.normalize(m.msg(), ev);
    const DepthUpdate* d = norm.depth();
    if (d == nullptr) return std::nullopt;
    last = *d;
    CoinbaseBookSync& s = *syncs[d->symbol];
    return d->snapshot ? s.on_snapshot(*d) : s.on_diff(*d);
  }

  SymbolTable symbols{kProducts};
  NormalizerStats stats;
  CoinbaseNormalizer norm{symbols, stats};
  std::vector<std::unique_ptr<CoinbaseBookSync>> syncs;
  DepthUpdate last;  // the last depth message (its levels are valid until the next feed)
  MarketEvent ev{};
  bool event = false;
};

// Every level an update names now has the update's size (0: absent).
void expect_levels_applied(const OrderBook& book, const DepthUpdate& d, std::string_view where) {
  for (const PriceLevel& l : d.bids) ASSERT_EQ(book.qty_at(Side::Buy, l.px), l.qty) << where << " bid " << l.px;
  for (const PriceLevel& l : d.asks) ASSERT_EQ(book.qty_at(Side::Sell, l.px), l.qty) << where << " ask " << l.px;
}

std::vector<PriceLevel> levels_of(const OrderBook& b, Side s) {
  std::vector<PriceLevel> v;
  for (std::size_t k = 0; k < b.depth(s); ++k) v.push_back(b.level(s, k));
  return v;
}

Fixed fx(std::string_view text) {
  Fixed v = 0;
  EXPECT_TRUE(parse_fixed(text, v)) << text;
  return v;
}

TEST(CoinbaseBookSync, TheRealBooksRebuiltFromTheirSnapshotsAndUpdatesMatchEveryProvableState) {
  const auto lines = load_level2();
  ASSERT_EQ(lines.size(), 4660u);
  Feeder f;
  std::map<SymbolId, std::size_t> snapshots, applied, tickers, tickers_checked;
  // A snapshot is the whole book: every level it lists, each once (the checks below read it back).
  for (const auto& line : lines) {
    const auto r = f.feed(line.payload, line.recv_ts_ns);
    if (!r.has_value()) {
      if (!f.event || f.ev.kind != EventKind::BookTop) continue;
      // A ticker. The first of each product is the one Coinbase sends on subscription: it describes
      // the last trade before it, older than the snapshot (in this recording its time precedes the
      // product's first l2update). Every later one, sent when a trade happens, shows the book as
      // the updates received before it left it: all 67 do here (the 2021 ticker has no sizes).
      const SymbolId id = f.ev.symbol_id;
      if (tickers[id]++ == 0) continue;
      const CoinbaseBookSync& s = *f.syncs[id];
      ASSERT_TRUE(s.valid());
      ASSERT_TRUE(s.book().has_top());
      EXPECT_EQ(s.book().best_bid().px, f.ev.book.bid_px) << kProducts[id] << " ticker at " << line.recv_ts_ns;
      EXPECT_EQ(s.book().best_ask().px, f.ev.book.ask_px) << kProducts[id] << " ticker at " << line.recv_ts_ns;
      ++tickers_checked[id];
      continue;
    }
    const DepthUpdate& d = f.last;
    const CoinbaseBookSync& s = *f.syncs[d.symbol];
    EXPECT_EQ(d.first_id, 0u);
    EXPECT_EQ(d.last_id, 0u);
    EXPECT_EQ(s.last_update_id(), 0u);
    EXPECT_EQ(s.buffered_diffs(), 0u);
    if (d.snapshot) {
      ASSERT_EQ(*r, BookSyncOutcome::SnapshotLoaded) << kProducts[d.symbol];
      ++snapshots[d.symbol];
      EXPECT_EQ(d.exch_ts_ns, line.recv_ts_ns);  // no time in a snapshot: the receive time
      EXPECT_EQ(f.norm.clock_only_ts_ns(), -1);
      EXPECT_EQ(s.state(), BookSyncState::AwaitingFirstDiff);
      EXPECT_EQ(s.book().depth(Side::Buy), d.bids.size());
      EXPECT_EQ(s.book().depth(Side::Sell), d.asks.size());
      for (const PriceLevel& l : d.bids) EXPECT_EQ(s.book().qty_at(Side::Buy, l.px), l.qty);
      for (const PriceLevel& l : d.asks) EXPECT_EQ(s.book().qty_at(Side::Sell, l.px), l.qty);
      ASSERT_TRUE(s.book().has_top());
      EXPECT_FALSE(s.book().crossed());
      continue;
    }
    ASSERT_EQ(*r, BookSyncOutcome::Applied) << kProducts[d.symbol] << " update at " << line.recv_ts_ns;
    ++applied[d.symbol];
    ASSERT_EQ(d.bids.size() + d.asks.size(), 1u);  // this recording's updates each change one level
    EXPECT_EQ(f.norm.clock_only_ts_ns(), d.exch_ts_ns);
    EXPECT_GT(d.exch_ts_ns, 1618677817'000'000'000);  // the update's own time (2021-04-17T16:43:37Z on)
    expect_levels_applied(s.book(), d, kProducts[d.symbol] + " update at " + std::to_string(line.recv_ts_ns));
    ASSERT_FALSE(s.book().crossed()) << kProducts[d.symbol] << " update at " << line.recv_ts_ns;
    ASSERT_TRUE(s.book().has_top());
    EXPECT_EQ(s.state(), BookSyncState::Synced);
  }
  // SKL-USD 0 (2,592 updates, 53 tickers), DASH-BTC 1 (1,925 updates, 16 tickers).
  EXPECT_EQ(snapshots[0], 1u);
  EXPECT_EQ(snapshots[1], 1u);
  EXPECT_EQ(applied[0], 2592u);
  EXPECT_EQ(applied[1], 1925u);
  EXPECT_EQ(tickers[0], 53u);
  EXPECT_EQ(tickers[1], 16u);
  EXPECT_EQ(tickers_checked[0], 52u);
  EXPECT_EQ(tickers_checked[1], 15u);
  EXPECT_EQ(f.stats.dropped(), 0u);
  EXPECT_EQ(f.stats.by_type[T::L2Update], 4517u);
  EXPECT_EQ(f.stats.by_type[T::Snapshot], 2u);
  EXPECT_EQ(f.stats.by_type[T::Ticker], 69u);
  // The final books (an independent replay of the same lines in Python with decimal.Decimal).
  const OrderBook& skl = f.syncs[0]->book();
  EXPECT_EQ(skl.depth(Side::Buy), 816u);
  EXPECT_EQ(skl.depth(Side::Sell), 1341u);
  EXPECT_EQ(skl.best_bid(), (PriceLevel{fx("0.7902"), fx("468.0")}));
  EXPECT_EQ(skl.best_ask(), (PriceLevel{fx("0.7911"), fx("450.0")}));
  const OrderBook& dash = f.syncs[1]->book();
  EXPECT_EQ(dash.depth(Side::Buy), 436u);
  EXPECT_EQ(dash.depth(Side::Sell), 541u);
  EXPECT_EQ(dash.best_bid(), (PriceLevel{fx("0.00619316"), fx("1.68700000")}));
  EXPECT_EQ(dash.best_ask(), (PriceLevel{fx("0.00619947"), fx("28.99700000")}));
  for (const auto& s : f.syncs) {
    const BookSyncStats& st = s->stats();
    EXPECT_EQ(st.snapshots_loaded, 1u);
    EXPECT_EQ(st.diffs_discarded, 0u);
    EXPECT_EQ(st.crossed, 0u);
    EXPECT_EQ(st.resyncs, 0u);
    EXPECT_EQ(st.levels_evicted + st.levels_dropped_full, 0u);
    EXPECT_TRUE(s->valid());
  }
}

// The same recording through BookFeed<CoinbaseBookSync>, the caller BinanceBookSync already has:
// the Coinbase sync fits it as it is.
TEST(CoinbaseBookSync, FitsTheBookFeedTemplate) {
  const auto lines = load_level2();
  SymbolTable symbols{kProducts};
  NormalizerStats stats;
  CoinbaseNormalizer norm(symbols, stats);
  norm.enable_depth();
  BookFeed<CoinbaseBookSync> books(kProducts.size(), /*emit_levels=*/false,
                                   [](SymbolId) { return std::make_unique<CoinbaseBookSync>(5000); });
  std::size_t tops = 0, clocks = 0, superseded = 0;
  MarketEvent last_top{};
  auto emit = [&](const MarketEvent& e) noexcept {
    if (e.kind == EventKind::BookTop) {
      ++tops;
      last_top = e;
    } else if (e.kind == EventKind::Clock) {
      ++clocks;
    }
  };
  for (const auto& line : lines) {
    OwnedMessage m(line.payload, line.recv_ts_ns);
    MarketEvent ev{};
    if (norm.normalize(m.msg(), ev)) {
      if (ev.kind == EventKind::BookTop && !books.admit_top(ev, emit)) ++superseded;
      continue;
    }
    if (const DepthUpdate* d = norm.depth(); d != nullptr) books.on_depth(*d, emit);
  }
  EXPECT_EQ(superseded, 69u);  // every ticker: the books are the products' tops
  EXPECT_EQ(tops + clocks, 2u + 4517u);  // a top per snapshot, a top or a clock per update
  EXPECT_GT(tops, 2u);
  for (SymbolId id = 0; id < kProducts.size(); ++id) {
    EXPECT_TRUE(books.sync(id).valid());
    EXPECT_FALSE(books.needs_snapshot(id));
    EXPECT_EQ(books.counters(id).tops_superseded, id == 0 ? 53u : 16u);
    EXPECT_EQ(books.counters(id).top_mismatches, 0u);
  }
  EXPECT_EQ(books.counters(0).diffs_applied, 2592u);
  EXPECT_EQ(books.counters(1).diffs_applied, 1925u);
  // The last update of the recording (SKL-USD's or DASH-BTC's) left its product's top as the top.
  const CoinbaseBookSync& s = books.sync(last_top.symbol_id);
  EXPECT_EQ(last_top.book.bid_px, s.book().best_bid().px);
  EXPECT_EQ(last_top.book.ask_px, s.book().best_ask().px);
  EXPECT_EQ(last_top.book.venue_seq, 0u);
}

// ---------------------------------------------------------------------------------------------
// The sync's rules on constructed updates (prices in whole units).

constexpr Fixed P(int64_t whole) { return whole * kScale; }

DepthUpdate view(const std::vector<PriceLevel>& bids, const std::vector<PriceLevel>& asks, bool snapshot = false) {
  DepthUpdate u;
  u.bids = bids;
  u.asks = asks;
  u.snapshot = snapshot;
  u.symbol = 0;
  return u;
}

TEST(CoinbaseBookSync, AnUpdateBeforeTheSnapshotIsDiscardedNotKept) {
  CoinbaseBookSync s(16);
  const std::vector<PriceLevel> b{{P(100), 1}}, a{{P(101), 1}}, none;
  EXPECT_EQ(s.on_diff(view(b, none)), BookSyncOutcome::Buffered);
  EXPECT_EQ(s.on_diff(view(none, a)), BookSyncOutcome::Buffered);
  EXPECT_FALSE(s.valid());
  EXPECT_EQ(s.state(), BookSyncState::AwaitingSnapshot);
  EXPECT_TRUE(s.book().empty());
  EXPECT_EQ(s.buffered_diffs(), 0u);
  EXPECT_EQ(s.stats().diffs_discarded, 2u);
  EXPECT_EQ(s.stats().diffs_applied, 0u);
  // The snapshot alone is the book: the discarded updates are not replayed.
  const std::vector<PriceLevel> sb{{P(99), 3}}, sa{{P(102), 4}};
  EXPECT_EQ(s.on_snapshot(view(sb, sa, true)), BookSyncOutcome::SnapshotLoaded);
  EXPECT_EQ(s.state(), BookSyncState::AwaitingFirstDiff);
  EXPECT_EQ(levels_of(s.book(), Side::Buy), sb);
  EXPECT_EQ(levels_of(s.book(), Side::Sell), sa);
  EXPECT_EQ(s.stats().resyncs, 0u);
  EXPECT_EQ(s.on_diff(view(b, none)), BookSyncOutcome::Applied);
  EXPECT_EQ(s.state(), BookSyncState::Synced);
  EXPECT_EQ(s.book().best_bid(), (PriceLevel{P(100), 1}));
}

TEST(CoinbaseBookSync, ACrossedUpdateLosesTheBookUntilTheNextSnapshot) {
  CoinbaseBookSync s(16);
  ASSERT_EQ(s.on_snapshot(view({{P(99), 1}, {P(98), 2}}, {{P(102), 1}}, true)), BookSyncOutcome::SnapshotLoaded);
  EXPECT_EQ(s.on_diff(view({}, {{P(101), 5}})), BookSyncOutcome::Applied);
  EXPECT_EQ(s.on_diff(view({{P(101), 1}}, {})), BookSyncOutcome::Crossed);  // bid 101 >= ask 101
  EXPECT_FALSE(s.valid());
  EXPECT_EQ(s.state(), BookSyncState::AwaitingSnapshot);
  EXPECT_TRUE(s.book().empty());
  EXPECT_EQ(s.stats().crossed, 1u);
  EXPECT_EQ(s.stats().diffs_applied, 2u);
  // Updates until the caller's resubscription brings a snapshot are discarded.
  EXPECT_EQ(s.on_diff(view({{P(97), 1}}, {})), BookSyncOutcome::Buffered);
  EXPECT_EQ(s.stats().diffs_discarded, 1u);
  EXPECT_TRUE(s.book().empty());
  EXPECT_EQ(s.on_snapshot(view({{P(100), 1}}, {{P(101), 1}}, true)), BookSyncOutcome::SnapshotLoaded);
  EXPECT_TRUE(s.valid());
  EXPECT_EQ(s.stats().resyncs, 1u);
  EXPECT_EQ(s.book().best_bid(), (PriceLevel{P(100), 1}));
  EXPECT_EQ(s.book().depth(Side::Buy), 1u);
  // A crossed (or locked) snapshot is no book either.
  CoinbaseBookSync t(16);
  EXPECT_EQ(t.on_snapshot(view({{P(102), 1}}, {{P(102), 1}}, true)), BookSyncOutcome::Crossed);
  EXPECT_FALSE(t.valid());
  EXPECT_TRUE(t.book().empty());
  EXPECT_EQ(t.stats().crossed, 1u);
  EXPECT_EQ(t.stats().snapshots_loaded, 1u);
  EXPECT_EQ(t.stats().resyncs, 0u);
}

TEST(CoinbaseBookSync, ASecondSnapshotReloadsTheBook) {
  CoinbaseBookSync s(16);
  ASSERT_EQ(s.on_snapshot(view({{P(99), 1}, {P(98), 2}}, {{P(102), 1}, {P(103), 7}}, true)),
            BookSyncOutcome::SnapshotLoaded);
  EXPECT_EQ(s.on_diff(view({{P(97), 4}}, {})), BookSyncOutcome::Applied);
  // A new subscription's snapshot replaces everything, while the book is valid too (no resync:
  // the book was never lost). A level of size 0 in a snapshot is no level.
  const std::vector<PriceLevel> b{{P(96), 1}}, a{{P(104), 2}, {P(105), 0}};
  EXPECT_EQ(s.on_snapshot(view(b, a, true)), BookSyncOutcome::SnapshotLoaded);
  EXPECT_EQ(s.state(), BookSyncState::AwaitingFirstDiff);
  EXPECT_EQ(levels_of(s.book(), Side::Buy), b);
  EXPECT_EQ(levels_of(s.book(), Side::Sell), (std::vector<PriceLevel>{{P(104), 2}}));
  EXPECT_EQ(s.stats().snapshots_loaded, 2u);
  EXPECT_EQ(s.stats().snapshots_ignored, 0u);
  EXPECT_EQ(s.stats().resyncs, 0u);
  // After reset() (a reconnect) the next snapshot is a resync.
  s.reset();
  EXPECT_FALSE(s.valid());
  EXPECT_TRUE(s.book().empty());
  EXPECT_EQ(s.on_snapshot(view(b, a, true)), BookSyncOutcome::SnapshotLoaded);
  EXPECT_EQ(s.stats().resyncs, 1u);
}

TEST(CoinbaseBookSync, ASmallBookKeepsTheLevelsNearTheTouch) {
  CoinbaseBookSync s(2);
  ASSERT_EQ(s.on_snapshot(view({{P(99), 1}, {P(98), 1}, {P(97), 1}}, {{P(102), 1}}, true)),
            BookSyncOutcome::SnapshotLoaded);
  EXPECT_EQ(s.book().depth(Side::Buy), 2u);
  EXPECT_EQ(s.book().level(Side::Buy, 1).px, P(98));
  EXPECT_EQ(s.stats().levels_evicted, 1u);  // loaded worst first: 99 evicted 97
  EXPECT_EQ(s.stats().levels_dropped_full, 0u);
  EXPECT_EQ(s.on_diff(view({{P(96), 1}}, {})), BookSyncOutcome::Applied);  // worse than both: dropped
  EXPECT_EQ(s.stats().levels_dropped_full, 1u);
  EXPECT_EQ(s.on_diff(view({{P(100), 1}}, {})), BookSyncOutcome::Applied);  // better: evicts 98
  EXPECT_EQ(s.stats().levels_evicted, 2u);
  EXPECT_EQ(levels_of(s.book(), Side::Buy), (std::vector<PriceLevel>{{P(100), 1}, {P(99), 1}}));
}

// ---------------------------------------------------------------------------------------------
// What the normalizer reads, and what it refuses, once depth is enabled.

// The same JSON with whitespace after every ',' and ':' outside strings (taken by the simdjson path,
// not the fast one). The strings here hold no escaped quote.
std::string spaced(std::string_view s) {
  std::string out;
  bool in_string = false;
  for (const char c : s) {
    out += c;
    if (c == '"') in_string = !in_string;
    if (!in_string && (c == ',' || c == ':')) out += ' ';
  }
  return out;
}

TEST(CoinbaseDepthLevels, TheNormalizerReadsUpdatesAndSnapshots) {
  for (const bool space : {false, true}) {
    SCOPED_TRACE(space ? "simdjson path" : "fast path");
    auto text = [&](std::string_view s) { return space ? spaced(s) : std::string(s); };
    Feeder f;
    ASSERT_TRUE(f.feed(text(R"({"type":"snapshot","product_id":"DASH-BTC","bids":[["0.00618955","1.5"],["0.0061","2"]],"asks":[["0.0062","3"]]})"),
                       42)
                    .has_value());
    EXPECT_TRUE(f.last.snapshot);
    EXPECT_EQ(f.last.symbol, SymbolId{1});
    EXPECT_EQ(f.last.exch_ts_ns, 42);
    EXPECT_EQ(f.last.recv_ts_ns, 42);
    EXPECT_EQ(f.norm.clock_only_ts_ns(), -1);
    ASSERT_EQ(f.last.bids.size(), 2u);
    EXPECT_EQ(f.last.bids[0], (PriceLevel{fx("0.00618955"), fx("1.5")}));
    ASSERT_EQ(f.last.asks.size(), 1u);
    EXPECT_EQ(f.last.asks[0], (PriceLevel{fx("0.0062"), fx("3")}));
    // Changes of both sides in one message, in the documented shape: each side keeps its order.
    const auto r = f.feed(
        text(R"({"type":"l2update","product_id":"DASH-BTC","changes":[["buy","0.0061","0"],["sell","0.0063","1"],["buy","0.00619","0.25"],["sell","0.0062","0.000000"],["buy","0.00619","0.5"]],"time":"2019-08-14T20:42:27.265Z"})"),
        43);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(*r, BookSyncOutcome::Applied);
    EXPECT_FALSE(f.last.snapshot);
    EXPECT_EQ(f.last.exch_ts_ns, 1565815347'265'000'000);
    EXPECT_EQ(f.last.recv_ts_ns, 43);
    EXPECT_EQ(f.norm.clock_only_ts_ns(), 1565815347'265'000'000);
    EXPECT_EQ(f.last.first_id, 0u);
    EXPECT_EQ(f.last.last_id, 0u);
    EXPECT_EQ(std::vector<PriceLevel>(f.last.bids.begin(), f.last.bids.end()),
              (std::vector<PriceLevel>{{fx("0.0061"), 0}, {fx("0.00619"), fx("0.25")}, {fx("0.00619"), fx("0.5")}}));
    EXPECT_EQ(std::vector<PriceLevel>(f.last.asks.begin(), f.last.asks.end()),
              (std::vector<PriceLevel>{{fx("0.0063"), fx("1")}, {fx("0.0062"), 0}}));
    const OrderBook& b = f.syncs[1]->book();
    EXPECT_EQ(levels_of(b, Side::Buy),
              (std::vector<PriceLevel>{{fx("0.00619"), fx("0.5")}, {fx("0.00618955"), fx("1.5")}}));
    EXPECT_EQ(levels_of(b, Side::Sell), (std::vector<PriceLevel>{{fx("0.0063"), fx("1")}}));
    // Empty lists are valid.
    ASSERT_TRUE(f.feed(text(R"({"type":"l2update","product_id":"SKL-USD","changes":[],"time":"2021-04-17T16:43:37Z"})"))
                    .has_value());
    EXPECT_TRUE(f.last.bids.empty() && f.last.asks.empty());
    EXPECT_EQ(f.syncs[0]->stats().diffs_discarded, 1u);  // no SKL-USD snapshot yet
    // A ticker is still an event, and moves no clock of its own.
    EXPECT_FALSE(f.feed(text(R"({"type":"ticker","sequence":1,"product_id":"SKL-USD","best_bid":"1","best_ask":"2","time":"2021-04-17T16:43:37Z"})"))
                     .has_value());
    EXPECT_TRUE(f.event);
    EXPECT_EQ(f.norm.clock_only_ts_ns(), -1);
    EXPECT_EQ(f.norm.depth(), nullptr);
    EXPECT_EQ(f.stats.dropped(), 0u);
    EXPECT_EQ(f.stats.by_type[T::L2Update], 2u);
    EXPECT_EQ(f.stats.by_type[T::Snapshot], 1u);
  }
}

TEST(CoinbaseDepthLevels, BadUpdatesAndSnapshotsAreDroppedWithTheirReason) {
  for (const bool space : {false, true}) {
    SCOPED_TRACE(space ? "simdjson path" : "fast path");
    Feeder f;
    auto refused = [&](std::string_view json, DropReason why, T type) {
      const std::string text = space ? spaced(json) : std::string(json);
      const uint64_t before = f.stats.drops[why], all = f.stats.dropped(), typed = f.stats.by_type[type];
      EXPECT_FALSE(f.feed(text).has_value()) << text;
      EXPECT_FALSE(f.event) << text;
      EXPECT_EQ(f.norm.clock_only_ts_ns(), -1) << text;
      EXPECT_EQ(f.stats.drops[why], before + 1) << text;
      EXPECT_EQ(f.stats.dropped(), all + 1) << text;
      EXPECT_EQ(f.stats.by_type[type], typed + 1) << text;
    };
    const T U = T::L2Update, S = T::Snapshot;
    const std::string head = R"({"type":"l2update","product_id":"SKL-USD",)";
    const std::string time = R"(,"time":"2021-04-17T16:43:37.075351Z"})";
    // The shape of a change: three strings [side, price, size].
    refused(head + R"("changes":[["buy","0.79"]])" + time, DropReason::WrongType, U);
    refused(head + R"("changes":[["buy","0.79","1","2"]])" + time, DropReason::WrongType, U);
    refused(head + R"("changes":[["buy",0.79,"1"]])" + time, DropReason::WrongType, U);
    refused(head + R"("changes":[["0.79","1"]])" + time, DropReason::WrongType, U);
    refused(head + R"("changes":["buy","0.79","1"])" + time, DropReason::WrongType, U);
    refused(head + R"("changes":[{"side":"buy"}])" + time, DropReason::WrongType, U);
    refused(head + R"("changes":[["buy","0.79","1"],null])" + time, DropReason::WrongType, U);
    refused(head + R"("changes":[["b\u0075y","0.79","1"]])" + time, DropReason::WrongType, U);
    refused(head + R"("changes":"buy")" + time, DropReason::WrongType, U);
    refused(head + R"("changes":{})" + time, DropReason::WrongType, U);
    // Its values: a side other than buy / sell, a price or size outside the grammar, a price of 0.
    refused(head + R"("changes":[["bid","0.79","1"]])" + time, DropReason::BadNumber, U);
    refused(head + R"("changes":[["BUY","0.79","1"]])" + time, DropReason::BadNumber, U);
    refused(head + R"("changes":[["sell","-0.79","1"]])" + time, DropReason::BadNumber, U);
    refused(head + R"("changes":[["sell","0.79","1e3"]])" + time, DropReason::BadNumber, U);
    refused(head + R"("changes":[["sell","0","1"]])" + time, DropReason::BadNumber, U);
    refused(head + R"("changes":[["sell","0.79",""]])" + time, DropReason::BadNumber, U);
    refused(head + R"("changes":[["sell","0.7900000001","1"]])" + time, DropReason::BadNumber, U);
    // The first bad element decides.
    refused(head + R"("changes":[["sell","x","1"],["buy"]])" + time, DropReason::BadNumber, U);
    refused(head + R"("changes":[["buy"],["sell","x","1"]])" + time, DropReason::WrongType, U);
    // The other fields, in their order: product_id, changes, time; then the symbol; then values.
    refused(R"({"type":"l2update","changes":[],"time":"2021-04-17T16:43:37Z"})", DropReason::MissingField, U);
    refused(head + R"("time":"2021-04-17T16:43:37Z"})", DropReason::MissingField, U);
    refused(head + R"("changes":[]})", DropReason::MissingField, U);
    refused(R"({"type":"l2update","product_id":7,"changes":[],"time":"2021-04-17T16:43:37Z"})", DropReason::WrongType, U);
    refused(head + R"("changes":[],"time":1618677817})", DropReason::WrongType, U);
    refused(R"({"type":"l2update","product_id":"BTC-USD","changes":[["x"]],"time":"x"})", DropReason::UnknownSymbol, U);
    refused(head + R"("changes":[["buy","1","1"]],"time":"2021-04-17 16:43:37Z"})", DropReason::BadTime, U);
    refused(head + R"("changes":[["buy","x","1"]],"time":"bad"})", DropReason::BadNumber, U);
    // Snapshots: product_id, bids, asks; then the symbol; then the levels, bids first.
    refused(R"({"type":"snapshot","product_id":"SKL-USD","bids":[]})", DropReason::MissingField, S);
    refused(R"({"type":"snapshot","product_id":"SKL-USD","asks":[]})", DropReason::MissingField, S);
    refused(R"({"type":"snapshot","bids":[],"asks":[]})", DropReason::MissingField, S);
    refused(R"({"type":"snapshot","product_id":"SKL-USD","bids":"x","asks":[]})", DropReason::WrongType, S);
    refused(R"({"type":"snapshot","product_id":"SKL-USD","bids":[],"asks":null})", DropReason::WrongType, S);
    refused(R"({"type":"snapshot","product_id":"ETH-USD","bids":[],"asks":[]})", DropReason::UnknownSymbol, S);
    refused(R"({"type":"snapshot","product_id":"SKL-USD","bids":[["1","2","3"]],"asks":[]})", DropReason::WrongType, S);
    refused(R"({"type":"snapshot","product_id":"SKL-USD","bids":[],"asks":[["1",2]]})", DropReason::WrongType, S);
    refused(R"({"type":"snapshot","product_id":"SKL-USD","bids":[["0","2"]],"asks":[]})", DropReason::BadNumber, S);
    refused(R"({"type":"snapshot","product_id":"SKL-USD","bids":[["1","2"]],"asks":[["1","-2"]]})", DropReason::BadNumber, S);
    refused(R"({"type":"snapshot","product_id":"SKL-USD","bids":[["1","x"]],"asks":[["1"]]})", DropReason::BadNumber, S);
    // Nothing reached a book.
    for (const auto& s : f.syncs) {
      EXPECT_EQ(s->stats().diffs_discarded + s->stats().diffs_applied + s->stats().snapshots_loaded, 0u);
    }
  }
}

TEST(CoinbaseDepthLevels, WithoutEnableDepthLevel2MessagesAreOnlyCountedAsBefore) {
  SymbolTable symbols{kProducts};
  NormalizerStats stats;
  CoinbaseNormalizer norm(symbols, stats);
  auto counted = [&](std::string_view text, T type) {
    OwnedMessage m(text, 5);
    MarketEvent ev{};
    const uint64_t before = stats.by_type[type];
    EXPECT_FALSE(norm.normalize(m.msg(), ev)) << text;
    EXPECT_EQ(norm.depth(), nullptr) << text;
    EXPECT_EQ(norm.clock_only_ts_ns(), -1) << text;
    EXPECT_EQ(stats.by_type[type], before + 1) << text;
    EXPECT_EQ(stats.dropped(), 0u) << text;
  };
  // Valid or not, known product or not: counted by type, never validated, never a drop.
  counted(R"({"type":"l2update","product_id":"SKL-USD","changes":[["buy","0.79","1"]],"time":"2021-04-17T16:43:37Z"})",
          T::L2Update);
  counted(R"({"type":"l2update","product_id":"SKL-USD","changes":"garbage"})", T::L2Update);
  counted(R"({"type":"l2update","product_id":"ETH-USD"})", T::L2Update);
  counted(R"({"type":"snapshot","product_id":"SKL-USD","bids":[["0","x"]]})", T::Snapshot);
  counted(R"({"type": "snapshot"})", T::Snapshot);

  // The whole recording: with depth enabled the same counts, the same events, and no drops.
  const auto lines = load_level2();
  NormalizerStats stats2;
  CoinbaseNormalizer with_depth(symbols, stats2);
  with_depth.enable_depth();
  NormalizerStats stats3;
  CoinbaseNormalizer plain(symbols, stats3);
  std::size_t depth_messages = 0, clocks = 0;
  for (const auto& l : lines) {
    OwnedMessage m(l.payload, l.recv_ts_ns);
    MarketEvent e1{}, e2{};
    const bool r1 = plain.normalize(m.msg(), e1);
    const bool r2 = with_depth.normalize(m.msg(), e2);
    ASSERT_EQ(r1, r2) << l.payload;
    if (r1) {
      ASSERT_EQ(std::memcmp(&e1, &e2, sizeof e1), 0) << l.payload;
    }
    EXPECT_EQ(plain.depth(), nullptr);
    EXPECT_EQ(plain.clock_only_ts_ns(), -1);
    if (with_depth.depth() != nullptr) ++depth_messages;
    if (with_depth.clock_only_ts_ns() >= 0) ++clocks;
  }
  EXPECT_EQ(depth_messages, 4519u);
  EXPECT_EQ(clocks, 4517u);
  EXPECT_EQ(stats3.by_type.values, stats2.by_type.values);
  EXPECT_EQ(stats3.dropped(), 0u);
  EXPECT_EQ(stats2.dropped(), 0u);
  EXPECT_EQ(stats3.by_type[T::L2Update], 4517u);
  EXPECT_EQ(stats3.by_type[T::Snapshot], 2u);
  EXPECT_EQ(stats3.by_type[T::Subscriptions], 3u);
  EXPECT_EQ(stats3.by_type[T::Ticker], 69u);
  EXPECT_EQ(stats3.by_type[T::Match], 67u);
  EXPECT_EQ(stats3.by_type[T::LastMatch], 2u);
}

}  // namespace
}  // namespace tp::feed
