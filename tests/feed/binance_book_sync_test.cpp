// BinanceBookSync with the BinanceNormalizer's depth levels: the real Binance spot book rebuilt from
// its REST snapshot and 1500 diffs and checked against everything the recording proves (each diff's
// levels, the bookTicker at the same update id), the futures `pu` chain, a planted gap found at its
// update id and recovered, and the procedure's edge cases on constructed diffs.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "core/types/decimal.hpp"
#include "feed/binance_normalizer.hpp"
#include "feed/book/binance_book_sync.hpp"
#include "feed_test_util.hpp"

namespace tp::feed {
namespace {

using test::OwnedMessage;

const std::string kDir = std::string(TP_TEST_DATA_DIR) + "/binance/";

struct RecordedLine {
  int64_t recv_ts_ns;
  std::string payload;
};

std::vector<RecordedLine> load_gz(const std::string& file) {
  std::vector<RecordedLine> out;
  for (const std::string& l : test::read_gz_lines(kDir + file)) {
    const auto sp = l.find(' ');
    out.push_back({std::stoll(l.substr(0, sp)), l.substr(sp + 1)});
  }
  return out;
}

// Normalizes one line and hands its depth message to the sync (a REST snapshot names no symbol:
// with one symbol configured it is that one).
class Feeder {
 public:
  explicit Feeder(BookChain chain, std::size_t levels = 5000) : sync(chain, levels) { norm.enable_depth(); }

  // The outcome, or nothing when the line was no depth message.
  std::optional<BookSyncOutcome> feed(std::string_view payload, int64_t recv = 1) {
    OwnedMessage m(payload, recv);
    MarketEvent ev{};
    norm.normalize(m.msg(), ev);
    const DepthUpdate* d = norm.depth();
    if (d == nullptr) return std::nullopt;
    last = *d;
    if (d->snapshot) {
      DepthUpdate s = *d;
      s.symbol = 0;
      return sync.on_snapshot(s);
    }
    return sync.on_diff(*d);
  }

  SymbolTable symbols{std::vector<std::string>{"BTCUSDT"}};
  NormalizerStats stats;
  BinanceNormalizer norm{symbols, stats};
  BinanceBookSync sync;
  DepthUpdate last;  // the last depth message (its levels are valid until the next feed)
};

// Every level a diff names now has the diff's quantity (0: absent).
void expect_levels_applied(const OrderBook& book, const DepthUpdate& d, std::string_view where) {
  for (const PriceLevel& l : d.bids) ASSERT_EQ(book.qty_at(Side::Buy, l.px), l.qty) << where << " bid " << l.px;
  for (const PriceLevel& l : d.asks) ASSERT_EQ(book.qty_at(Side::Sell, l.px), l.qty) << where << " ask " << l.px;
}

std::vector<PriceLevel> levels_of(const OrderBook& b, Side s) {
  std::vector<PriceLevel> v;
  for (std::size_t k = 0; k < b.depth(s); ++k) v.push_back(b.level(s, k));
  return v;
}

TEST(BinanceBookSync, TheRealSpotBookRebuiltFromItsSnapshotAndDiffsMatchesEveryProvableState) {
  const auto lines = load_gz("spot_btcusdt_20240808_depth1500.txt.gz");
  ASSERT_EQ(lines.size(), 1501u);
  // bookTickers at the update id of a diff: the top the venue itself reported at that id.
  std::map<uint64_t, BookTop> tops;
  {
    SymbolTable symbols{std::vector<std::string>{"BTCUSDT"}};
    NormalizerStats stats;
    BinanceNormalizer norm(symbols, stats);
    for (const auto& l : test::load_recording(kDir + "spot_btcusdt_20240808_bookticker_at_depth_ids.txt")) {
      OwnedMessage m(l.payload, l.recv_ts_ns);
      MarketEvent ev{};
      ASSERT_TRUE(norm.normalize(m.msg(), ev));
      tops[ev.book.venue_seq] = ev.book;
    }
    ASSERT_EQ(tops.size(), 253u);
  }

  Feeder f(BookChain::Spot);
  std::size_t applied = 0, tops_checked = 0, buffered = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto r = f.feed(lines[i].payload, lines[i].recv_ts_ns);
    ASSERT_TRUE(r.has_value()) << "line " << i + 1;
    if (*r == BookSyncOutcome::Buffered) ++buffered;
    if (*r == BookSyncOutcome::SnapshotLoaded) {
      ASSERT_EQ(i, 3u);  // line 4
      // The third diff (U 50093239208, u 50093239224) straddles lastUpdateId 50093239218.
      EXPECT_EQ(f.sync.last_update_id(), 50093239224u);
      EXPECT_EQ(f.sync.stats().diffs_duplicate, 2u);
      EXPECT_EQ(f.sync.stats().diffs_applied, 1u);
    }
    if (*r != BookSyncOutcome::Applied) continue;
    ++applied;
    const OrderBook& book = f.sync.book();
    expect_levels_applied(book, f.last, "diff u=" + std::to_string(f.last.last_id));
    ASSERT_FALSE(book.crossed()) << "u=" << f.last.last_id;
    ASSERT_TRUE(book.has_top());
    if (auto t = tops.find(f.last.last_id); t != tops.end()) {
      ++tops_checked;
      EXPECT_EQ(book.best_bid(), (PriceLevel{t->second.bid_px, t->second.bid_qty})) << "u=" << t->first;
      EXPECT_EQ(book.best_ask(), (PriceLevel{t->second.ask_px, t->second.ask_qty})) << "u=" << t->first;
    }
  }
  EXPECT_EQ(buffered, 3u);
  EXPECT_EQ(applied, 1497u);  // 1500 diffs: 2 before the snapshot's id, 1 applied with the snapshot
  EXPECT_EQ(tops_checked, 253u);
  const BookSyncStats& st = f.sync.stats();
  EXPECT_EQ(st.diffs_applied, 1498u);
  EXPECT_EQ(st.gaps, 0u);
  EXPECT_EQ(st.crossed, 0u);
  EXPECT_EQ(st.resyncs, 0u);
  EXPECT_EQ(st.levels_evicted + st.levels_dropped_full, 0u);
  EXPECT_EQ(f.stats.dropped(), 0u);
  EXPECT_EQ(f.sync.state(), BookSyncState::Synced);
}

TEST(BinanceBookSync, TheRealFuturesPuChainHasNoGap) {
  const auto lines = load_gz("usdm_btcusdt_20240808_depth1000.txt.gz");
  ASSERT_EQ(lines.size(), 1001u);
  Feeder f(BookChain::Futures);
  std::size_t applied = 0;
  for (const auto& l : lines) {
    const auto r = f.feed(l.payload, l.recv_ts_ns);
    ASSERT_TRUE(r.has_value());
    if (*r == BookSyncOutcome::SnapshotLoaded) {
      // lastUpdateId 5123107852948 is straddled by the fifth diff (U 5123107850310, u 5123107853551);
      // the sixth (u 5123107856210) also came before the snapshot and is applied with it.
      EXPECT_EQ(f.sync.last_update_id(), 5123107856210u);
      EXPECT_EQ(f.sync.stats().diffs_applied, 2u);
      // The snapshot carries "E": its exchange time.
      EXPECT_EQ(f.last.exch_ts_ns, 1723161256501'000'000);
    }
    if (*r != BookSyncOutcome::Applied) continue;
    ++applied;
    ASSERT_TRUE(f.last.has_prev_last_id);
    expect_levels_applied(f.sync.book(), f.last, "diff u=" + std::to_string(f.last.last_id));
    ASSERT_FALSE(f.sync.book().crossed());
  }
  const BookSyncStats& st = f.sync.stats();
  EXPECT_EQ(st.gaps, 0u);
  EXPECT_EQ(st.crossed, 0u);
  EXPECT_EQ(st.diffs_duplicate, 4u);
  EXPECT_EQ(st.diffs_applied, 996u);
  EXPECT_EQ(applied, 994u);
  EXPECT_EQ(f.stats.dropped(), 0u);
}

// A REST snapshot of `book` at update id L, in Binance's format.
std::string snapshot_json(const OrderBook& book, uint64_t L) {
  std::string s = "{\"lastUpdateId\":" + std::to_string(L) + ",\"bids\":[";
  auto side = [&](Side sd) {
    for (std::size_t k = 0; k < book.depth(sd); ++k) {
      const PriceLevel l = book.level(sd, k);
      if (k) s += ',';
      s += "[\"";
      s += to_string_fixed(l.px);
      s += "\",\"";
      s += to_string_fixed(l.qty);
      s += "\"]";
    }
  };
  side(Side::Buy);
  s += "],\"asks\":[";
  side(Side::Sell);
  s += "]}";
  return s;
}

TEST(BinanceBookSync, APlantedGapIsFoundAtItsUpdateIdAndTheBookRecoversAfterAResync) {
  const auto lines = load_gz("spot_btcusdt_20240808_depth1500.txt.gz");
  constexpr std::size_t kRemoved = 700;   // this line is missing from the copy
  constexpr std::size_t kSnapshotAt = 705;  // a fresh snapshot comes after this line
  Feeder ref(BookChain::Spot), gapped(BookChain::Spot);
  uint64_t u_before_gap = 0, U_after_gap = 0;
  bool saw_gap = false, recovered = false;
  std::size_t compared = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    ref.feed(lines[i].payload);
    if (i == kRemoved - 1) u_before_gap = ref.sync.last_update_id();
    if (i != kRemoved) {
      const auto r = gapped.feed(lines[i].payload);
      if (i == kRemoved + 1) {
        U_after_gap = gapped.last.first_id;
        ASSERT_EQ(r, BookSyncOutcome::Gap);
        saw_gap = true;
        EXPECT_FALSE(gapped.sync.valid());
        EXPECT_EQ(gapped.sync.stats().last_gap_expected, u_before_gap + 1);
        EXPECT_EQ(gapped.sync.stats().last_gap_got, U_after_gap);
      } else if (i > kRemoved && i <= kSnapshotAt) {
        EXPECT_EQ(r, BookSyncOutcome::Buffered) << "line " << i + 1;
      }
    }
    if (i == kSnapshotAt) {
      // The venue's book at the last diff received: what a REST request now would return.
      ASSERT_EQ(gapped.feed(snapshot_json(ref.sync.book(), ref.sync.last_update_id())),
                BookSyncOutcome::SnapshotLoaded);
      recovered = true;
      EXPECT_EQ(gapped.sync.stats().resyncs, 1u);
    }
    if (recovered) {
      ASSERT_TRUE(gapped.sync.valid());
      ASSERT_EQ(levels_of(gapped.sync.book(), Side::Buy), levels_of(ref.sync.book(), Side::Buy)) << "line " << i + 1;
      ASSERT_EQ(levels_of(gapped.sync.book(), Side::Sell), levels_of(ref.sync.book(), Side::Sell)) << "line " << i + 1;
      ++compared;
    }
  }
  EXPECT_TRUE(saw_gap);
  EXPECT_EQ(compared, lines.size() - kSnapshotAt);
  EXPECT_EQ(gapped.sync.stats().gaps, 1u);
  EXPECT_EQ(ref.sync.stats().gaps, 0u);
}

// ---------------------------------------------------------------------------------------------
// The procedure on constructed diffs (prices in whole units).

constexpr Fixed P(int64_t whole) { return whole * kScale; }

struct Diff {
  uint64_t U, u, pu;
  std::vector<PriceLevel> bids, asks;
};

DepthUpdate view(const Diff& d, bool snapshot = false, bool with_pu = false) {
  DepthUpdate u;
  u.bids = d.bids;
  u.asks = d.asks;
  u.first_id = d.U;
  u.last_id = d.u;
  u.prev_last_id = d.pu;
  u.has_prev_last_id = with_pu;
  u.snapshot = snapshot;
  u.symbol = 0;
  return u;
}

TEST(BinanceBookSync, ASnapshotOlderThanTheBufferedDiffsIsRefused) {
  BinanceBookSync s(BookChain::Spot, 16);
  EXPECT_EQ(s.on_diff(view({110, 120, 0, {{P(100), 1}}, {{P(101), 1}}})), BookSyncOutcome::Buffered);
  // L + 1 = 101 < U = 110: updates 101..109 are in neither.
  EXPECT_EQ(s.on_snapshot(view({100, 100, 0, {{P(99), 1}}, {{P(102), 1}}}, true)), BookSyncOutcome::SnapshotTooOld);
  EXPECT_FALSE(s.valid());
  EXPECT_EQ(s.stats().snapshots_too_old, 1u);
  // L + 1 = 110 = U: joins.
  EXPECT_EQ(s.on_snapshot(view({109, 109, 0, {{P(99), 1}}, {{P(102), 1}}}, true)), BookSyncOutcome::SnapshotLoaded);
  EXPECT_TRUE(s.valid());
  EXPECT_EQ(s.book().best_bid(), (PriceLevel{P(100), 1}));
  EXPECT_EQ(s.last_update_id(), 120u);
  EXPECT_EQ(s.on_snapshot(view({130, 130, 0, {}, {}}, true)), BookSyncOutcome::SnapshotIgnored);
}

TEST(BinanceBookSync, TheFirstDiffMustStraddleTheSnapshotFuturesUseUAtMostL) {
  // Spot: U <= L + 1 <= u.
  BinanceBookSync spot(BookChain::Spot, 16);
  ASSERT_EQ(spot.on_snapshot(view({100, 100, 0, {{P(99), 1}}, {{P(102), 1}}}, true)), BookSyncOutcome::SnapshotLoaded);
  EXPECT_EQ(spot.state(), BookSyncState::AwaitingFirstDiff);
  EXPECT_EQ(spot.on_diff(view({90, 100, 0, {{P(99), 5}}, {}})), BookSyncOutcome::Duplicate);  // u <= L
  EXPECT_EQ(spot.on_diff(view({101, 105, 0, {{P(99), 2}}, {}})), BookSyncOutcome::Applied);
  EXPECT_EQ(spot.book().best_bid().qty, 2);
  // Futures: U <= L <= u; a diff starting right after L does not straddle it.
  BinanceBookSync fut(BookChain::Futures, 16);
  ASSERT_EQ(fut.on_snapshot(view({100, 100, 0, {{P(99), 1}}, {{P(102), 1}}}, true)), BookSyncOutcome::SnapshotLoaded);
  EXPECT_EQ(fut.on_diff(view({101, 105, 99, {{P(99), 2}}, {}}, false, true)), BookSyncOutcome::Gap);
  EXPECT_EQ(fut.stats().last_gap_expected, 100u);
  EXPECT_EQ(fut.stats().last_gap_got, 101u);
  ASSERT_EQ(fut.on_snapshot(view({102, 102, 0, {{P(99), 1}}, {{P(102), 1}}}, true)), BookSyncOutcome::SnapshotLoaded);
  // The buffered diff (101..105) straddles 102 and was applied with the snapshot.
  EXPECT_EQ(fut.last_update_id(), 105u);
  EXPECT_EQ(fut.on_diff(view({106, 110, 104, {}, {}}, false, true)), BookSyncOutcome::Gap);  // pu != 105
  EXPECT_EQ(fut.stats().last_gap_expected, 105u);
  EXPECT_EQ(fut.stats().last_gap_got, 104u);
}

TEST(BinanceBookSync, ADiffSeenTwiceIsADuplicateNotAGap) {
  BinanceBookSync s(BookChain::Spot, 16);
  ASSERT_EQ(s.on_snapshot(view({100, 100, 0, {{P(99), 1}}, {{P(102), 1}}}, true)), BookSyncOutcome::SnapshotLoaded);
  const Diff d{101, 103, 0, {{P(99), 4}}, {}};
  EXPECT_EQ(s.on_diff(view(d)), BookSyncOutcome::Applied);
  EXPECT_EQ(s.on_diff(view(d)), BookSyncOutcome::Duplicate);  // the same diff from the other connection
  EXPECT_EQ(s.on_diff(view({104, 104, 0, {{P(99), 0}}, {}})), BookSyncOutcome::Applied);
  EXPECT_EQ(s.book().depth(Side::Buy), 0u);
  EXPECT_EQ(s.stats().diffs_duplicate, 1u);
  EXPECT_EQ(s.stats().gaps, 0u);
}

TEST(BinanceBookSync, ACrossedBookIsLostAndNeedsASnapshot) {
  BinanceBookSync s(BookChain::Spot, 16);
  ASSERT_EQ(s.on_snapshot(view({100, 100, 0, {{P(99), 1}}, {{P(102), 1}}}, true)), BookSyncOutcome::SnapshotLoaded);
  EXPECT_EQ(s.on_diff(view({101, 101, 0, {{P(102), 1}}, {}})), BookSyncOutcome::Crossed);
  EXPECT_FALSE(s.valid());
  EXPECT_EQ(s.book().depth(Side::Buy), 0u);
  EXPECT_EQ(s.stats().crossed, 1u);
  EXPECT_EQ(s.on_diff(view({102, 102, 0, {}, {}})), BookSyncOutcome::Buffered);
  EXPECT_EQ(s.on_snapshot(view({101, 101, 0, {{P(100), 1}}, {{P(102), 1}}}, true)), BookSyncOutcome::SnapshotLoaded);
  EXPECT_EQ(s.stats().resyncs, 1u);
  // A crossed snapshot is no book either.
  BinanceBookSync t(BookChain::Spot, 16);
  EXPECT_EQ(t.on_snapshot(view({100, 100, 0, {{P(103), 1}}, {{P(102), 1}}}, true)), BookSyncOutcome::Crossed);
  EXPECT_FALSE(t.valid());
}

TEST(BinanceBookSync, AFullBufferKeepsTheNewestDiffsAndABrokenRunKeepsOnlyTheLatest) {
  BinanceBookSync s(BookChain::Spot, 16, /*buffer_diffs=*/4, /*buffer_levels=*/64);
  for (uint64_t id = 101; id <= 110; ++id) {
    EXPECT_EQ(s.on_diff(view({id, id, 0, {{P(99), static_cast<Fixed>(id)}}, {}})), BookSyncOutcome::Buffered);
  }
  EXPECT_EQ(s.buffered_diffs(), 4u);  // 107..110
  EXPECT_EQ(s.stats().diffs_discarded, 6u);
  // A snapshot at 105 no longer joins: 106 was discarded.
  EXPECT_EQ(s.on_snapshot(view({105, 105, 0, {{P(98), 1}}, {{P(102), 1}}}, true)), BookSyncOutcome::SnapshotTooOld);
  EXPECT_EQ(s.on_snapshot(view({106, 106, 0, {{P(98), 1}}, {{P(102), 1}}}, true)), BookSyncOutcome::SnapshotLoaded);
  EXPECT_EQ(s.last_update_id(), 110u);
  EXPECT_EQ(s.book().best_bid(), (PriceLevel{P(99), 110}));

  BinanceBookSync t(BookChain::Spot, 16);
  EXPECT_EQ(t.on_diff(view({101, 102, 0, {}, {}})), BookSyncOutcome::Buffered);
  EXPECT_EQ(t.on_diff(view({105, 106, 0, {}, {}})), BookSyncOutcome::Buffered);  // 103..104 missing
  EXPECT_EQ(t.buffered_diffs(), 1u);
  EXPECT_EQ(t.stats().gaps, 1u);
}

TEST(BinanceBookSync, ASmallBookKeepsTheLevelsNearTheTouch) {
  BinanceBookSync s(BookChain::Spot, 2);
  ASSERT_EQ(s.on_snapshot(view({100, 100, 0, {{P(99), 1}, {P(98), 1}, {P(97), 1}}, {{P(102), 1}}}, true)),
            BookSyncOutcome::SnapshotLoaded);
  EXPECT_EQ(s.book().depth(Side::Buy), 2u);
  EXPECT_EQ(s.book().level(Side::Buy, 1).px, P(98));
  EXPECT_EQ(s.stats().levels_evicted + s.stats().levels_dropped_full, 1u);
}

// ---------------------------------------------------------------------------------------------
// What the normalizer reads, and what it refuses, once depth is enabled.

TEST(BinanceDepthLevels, TheNormalizerReadsDiffsAndSnapshotsAndDropsBadLevels) {
  Feeder f(BookChain::Spot);
  const std::string diff =
      R"({"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1723161255208,"s":"BTCUSDT","U":7,"u":9,"b":[["61737.63000000","0.00000000"],["61730.17","1.5"]],"a":[]}})";
  ASSERT_TRUE(f.feed(diff).has_value());
  EXPECT_EQ(f.last.first_id, 7u);
  EXPECT_EQ(f.last.last_id, 9u);
  EXPECT_FALSE(f.last.has_prev_last_id);
  EXPECT_EQ(f.last.exch_ts_ns, 1723161255208'000'000);
  ASSERT_EQ(f.last.bids.size(), 2u);
  EXPECT_EQ(f.last.bids[0], (PriceLevel{6'173'763'000'000, 0}));
  EXPECT_EQ(f.last.bids[1], (PriceLevel{6'173'017'000'000, 150'000'000}));
  EXPECT_TRUE(f.last.asks.empty());
  // The same with whitespace (the simdjson path) reads the same.
  const std::string spaced =
      R"({ "stream": "btcusdt@depth@100ms", "data": { "e": "depthUpdate", "E": 1723161255208, "s": "BTCUSDT", "U": 7, "u": 9, "pu": 6, "b": [ [ "61737.63000000" , "0.00000000" ] , ["61730.17","1.5"] ], "a": [ ] } })";
  ASSERT_TRUE(f.feed(spaced).has_value());
  EXPECT_EQ(f.last.bids.size(), 2u);
  EXPECT_EQ(f.last.bids[1].qty, 150'000'000);
  EXPECT_TRUE(f.last.has_prev_last_id);
  EXPECT_EQ(f.last.prev_last_id, 6u);

  const uint64_t drops = f.stats.dropped();
  auto refused = [&](const std::string& text, DropReason why) {
    const uint64_t before = f.stats.drops[why];
    EXPECT_FALSE(f.feed(text).has_value()) << text;
    EXPECT_EQ(f.stats.drops[why], before + 1) << text;
  };
  const std::string head = R"({"e":"depthUpdate","E":1,"s":"BTCUSDT",)";
  refused(head + R"("U":1,"u":2,"b":[["1","2","3"]],"a":[]})", DropReason::WrongType);
  refused(head + R"("U":1,"u":2,"b":[[1,2]],"a":[]})", DropReason::WrongType);
  refused(head + R"("U":1,"u":2,"b":"x","a":[]})", DropReason::WrongType);
  refused(head + R"("U":1,"u":2,"b":[["-1","2"]],"a":[]})", DropReason::BadNumber);
  refused(head + R"("U":1,"u":2,"b":[["0","2"]],"a":[]})", DropReason::BadNumber);
  refused(head + R"("U":3,"u":2,"b":[],"a":[]})", DropReason::BadNumber);
  refused(head + R"("u":2,"b":[],"a":[]})", DropReason::MissingField);
  refused(head + R"("U":1,"u":2,"pu":"0","b":[],"a":[]})", DropReason::WrongType);
  refused(R"({"lastUpdateId":5,"bids":[["1","1"]]})", DropReason::MissingField);
  refused(R"({"lastUpdateId":"5","bids":[],"asks":[]})", DropReason::WrongType);
  refused(R"({"lastUpdateId":5,"bids":[["1.000000001","1"]],"asks":[]})", DropReason::BadNumber);
  EXPECT_EQ(f.stats.dropped(), drops + 11);
  EXPECT_EQ(f.sync.stats().diffs_applied, 0u);
}

// The snapshots tickpipe fetches itself carry "s" (the symbol), so one of several symbols can be
// attributed; both parse paths read it, and a bad one is refused like a diff's.
TEST(BinanceDepthLevels, ASnapshotNamingItsSymbolIsAttributedToIt) {
  SymbolTable symbols{std::vector<std::string>{"ETHUSDT", "BTCUSDT"}};
  NormalizerStats stats;
  BinanceNormalizer norm{symbols, stats};
  norm.enable_depth();
  auto depth_of = [&](std::string_view text) -> const DepthUpdate* {
    OwnedMessage m(text, 5);
    MarketEvent ev{};
    EXPECT_FALSE(norm.normalize(m.msg(), ev)) << text;
    return norm.depth();
  };
  for (const std::string& text : {std::string(R"({"s":"BTCUSDT","lastUpdateId":42,"bids":[["2","1"]],"asks":[["3","1"]]})"),
                                 std::string(R"({ "lastUpdateId": 42, "s": "BTCUSDT", "bids": [["2","1"]], "asks": [["3","1"]] })")}) {
    const DepthUpdate* d = depth_of(text);
    ASSERT_NE(d, nullptr) << text;
    EXPECT_TRUE(d->snapshot);
    EXPECT_EQ(d->symbol, 1u) << text;
    EXPECT_EQ(d->last_id, 42u);
  }
  const DepthUpdate* plain = depth_of(R"({"lastUpdateId":42,"bids":[],"asks":[]})");
  ASSERT_NE(plain, nullptr);
  EXPECT_EQ(plain->symbol, kNoSymbol);
  const uint64_t unknown = stats.drops[DropReason::UnknownSymbol], wrong = stats.drops[DropReason::WrongType];
  EXPECT_EQ(depth_of(R"({"s":"XRPUSDT","lastUpdateId":42,"bids":[],"asks":[]})"), nullptr);
  EXPECT_EQ(depth_of(R"({"s":7,"lastUpdateId":42,"bids":[],"asks":[]})"), nullptr);
  EXPECT_EQ(stats.drops[DropReason::UnknownSymbol], unknown + 1);
  EXPECT_EQ(stats.drops[DropReason::WrongType], wrong + 1);
}

TEST(BinanceDepthLevels, WithoutEnableDepthDepthMessagesAreOnlyCounted) {
  SymbolTable symbols{std::vector<std::string>{"BTCUSDT"}};
  NormalizerStats stats;
  BinanceNormalizer norm(symbols, stats);
  OwnedMessage m(R"({"e":"depthUpdate","E":1,"s":"BTCUSDT","b":"not levels"})", 1);
  MarketEvent ev{};
  EXPECT_FALSE(norm.normalize(m.msg(), ev));
  EXPECT_EQ(norm.depth(), nullptr);
  EXPECT_EQ(stats.dropped(), 0u);
  EXPECT_EQ(norm.clock_only_ts_ns(), 1'000'000);
}

}  // namespace
}  // namespace tp::feed
