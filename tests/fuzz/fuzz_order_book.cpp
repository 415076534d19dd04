// libFuzzer target for the L2 book: tp::OrderBook (core/book/order_book.hpp) driven directly, and
// tp::feed::BinanceBookSync (feed/book/binance_book_sync.hpp) driven with diffs and snapshots whose
// update ids chain, gap, overlap and repeat. The input is a header (capacities, chain, buffer sizes,
// first update id) and then a sequence of operations:
//   raw apply  levels set on a standalone OrderBook with the smallest ladder (a small price grid, or
//              one spread wider than the ladder so its window moves and the sorted store fills; qty 0
//              often);
//   diff       a depth diff (U, u, pu as small deltas from the stream's running id; a few levels a side);
//   snapshot   a REST snapshot (lastUpdateId near the running id; distinct prices, bids and asks may cross);
//   reset      BinanceBookSync::reset() and/or OrderBook::clear().
// Checked after every operation:
//  - both books: each side strictly sorted from the touch, no level with qty <= 0, depth <= capacity,
//    best == level 0, qty_at() agrees with the levels, crossed()/has_top()/empty() agree with them;
//  - the raw OrderBook equals a std::map model of its documented capacity rule (a new level on a full
//    side evicts the worst level if better, else is dropped), and apply() returns the LevelChange that
//    model predicts; every level it holds is in an unbounded model with the same qty, and a side that
//    never evicted nor dropped equals the unbounded model exactly;
//  - BinanceBookSync: a valid book is never crossed, an invalid one is empty and a valid one buffers
//    nothing; last_update_id() never decreases while the book stays valid; buffered_diffs() <=
//    buffer_diffs; stats counters never decrease; Gap / Crossed leave the book invalid. On a valid book
//    a diff's outcome follows from the documented rules (Duplicate if u <= the last id, else the
//    straddle / chain test, then Crossed if the levels cross the book), and an applied diff leaves
//    exactly the previous book with its levels applied under the capacity rule. A snapshot on a valid
//    book is ignored; on an empty buffer a non-crossing one loads exactly (its best levels).
// FUZZ_ORDER_BOOK_TRACE=1 in the environment prints the decoded operations and their outcomes.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <vector>

#include "core/book/order_book.hpp"
#include "feed/book/binance_book_sync.hpp"
#include "feed/book/depth_update.hpp"

namespace {

using tp::Fixed;
using tp::LevelChange;
using tp::OrderBook;
using tp::PriceLevel;
using tp::Side;
using tp::feed::BinanceBookSync;
using tp::feed::BookChain;
using tp::feed::BookSyncOutcome;
using tp::feed::BookSyncState;
using tp::feed::BookSyncStats;
using tp::feed::DepthUpdate;

constexpr Fixed kTick = tp::kScale / 100;  // price grid step: 0.01
constexpr Fixed kLot = 1000;               // quantity unit

bool g_trace = false;
std::size_t g_op = 0;

[[noreturn]] void fail(const char* what, int line) {
  std::fprintf(stderr, "fuzz_order_book: invariant violated at op #%zu (line %d): %s\n", g_op, line, what);
  std::abort();
}
#define CHECK(cond)                       \
  do {                                    \
    if (!(cond)) fail(#cond, __LINE__);   \
  } while (0)

class Reader {
 public:
  Reader(const uint8_t* d, std::size_t n) : d_(d), n_(n) {}
  bool empty() const { return n_ == 0; }
  uint8_t u8() {
    if (n_ == 0) return 0;
    --n_;
    return *d_++;
  }

 private:
  const uint8_t* d_;
  std::size_t n_;
};

const char* side_str(Side s) { return s == Side::Buy ? "bid" : "ask"; }
const char* change_str(LevelChange c) {
  switch (c) {
    case LevelChange::Inserted: return "Inserted";
    case LevelChange::Changed: return "Changed";
    case LevelChange::Removed: return "Removed";
    case LevelChange::RemovedAbsent: return "RemovedAbsent";
    case LevelChange::InsertedEvicting: return "InsertedEvicting";
    case LevelChange::DroppedFull: return "DroppedFull";
  }
  return "?";
}
const char* outcome_str(BookSyncOutcome o) {
  switch (o) {
    case BookSyncOutcome::Buffered: return "Buffered";
    case BookSyncOutcome::Applied: return "Applied";
    case BookSyncOutcome::Duplicate: return "Duplicate";
    case BookSyncOutcome::Gap: return "Gap";
    case BookSyncOutcome::Crossed: return "Crossed";
    case BookSyncOutcome::SnapshotLoaded: return "SnapshotLoaded";
    case BookSyncOutcome::SnapshotTooOld: return "SnapshotTooOld";
    case BookSyncOutcome::SnapshotIgnored: return "SnapshotIgnored";
  }
  return "?";
}
const char* state_str(BookSyncState s) {
  switch (s) {
    case BookSyncState::AwaitingSnapshot: return "AwaitingSnapshot";
    case BookSyncState::AwaitingFirstDiff: return "AwaitingFirstDiff";
    case BookSyncState::Synced: return "Synced";
  }
  return "?";
}

// One side as the book keys it: bids by px, asks by -px, so the best level is the greatest key.
using Levels = std::map<int64_t, Fixed>;
int64_t key_of(Side s, Fixed px) { return s == Side::Buy ? px : -px; }
Fixed px_of(Side s, int64_t key) { return s == Side::Buy ? key : -key; }
int idx(Side s) { return static_cast<int>(s); }
constexpr Side kSides[2] = {Side::Buy, Side::Sell};

// The documented capacity rule, on a map: what apply() must do and return.
LevelChange model_apply(Levels& m, std::size_t cap, Side s, Fixed px, Fixed qty) {
  const int64_t k = key_of(s, px);
  const auto it = m.find(k);
  if (qty == 0) {
    if (it == m.end()) return LevelChange::RemovedAbsent;
    m.erase(it);
    return LevelChange::Removed;
  }
  if (it != m.end()) {
    it->second = qty;
    return LevelChange::Changed;
  }
  if (m.size() < cap) {
    m.emplace(k, qty);
    return LevelChange::Inserted;
  }
  if (k < m.begin()->first) return LevelChange::DroppedFull;
  m.erase(m.begin());
  m.emplace(k, qty);
  return LevelChange::InsertedEvicting;
}

bool model_crossed(const Levels m[2]) {
  if (m[0].empty() || m[1].empty()) return false;
  return px_of(Side::Buy, m[0].rbegin()->first) >= px_of(Side::Sell, m[1].rbegin()->first);
}

// The book's levels of one side as a map (after check_structure, so the keys are distinct).
Levels read_side(const OrderBook& b, Side s) {
  Levels m;
  for (std::size_t k = 0; k < b.depth(s); ++k) {
    const PriceLevel l = b.level(s, k);
    m.emplace(key_of(s, l.px), l.qty);
  }
  return m;
}

bool same_side(const OrderBook& b, Side s, const Levels& m) {
  if (b.depth(s) != m.size()) return false;
  std::size_t k = 0;
  for (auto it = m.rbegin(); it != m.rend(); ++it, ++k) {
    const PriceLevel l = b.level(s, k);
    if (l.px != px_of(s, it->first) || l.qty != it->second) return false;
  }
  return true;
}

void check_structure(const OrderBook& b, std::size_t cap) {
  CHECK(b.capacity() == cap);
  for (const Side s : kSides) {
    const std::size_t n = b.depth(s);
    CHECK(n <= cap);
    Levels seen;
    for (std::size_t k = 0; k < n; ++k) {
      const PriceLevel l = b.level(s, k);
      CHECK(l.px > 0);
      CHECK(l.qty > 0);
      if (k > 0) {
        const PriceLevel prev = b.level(s, k - 1);
        CHECK(s == Side::Buy ? prev.px > l.px : prev.px < l.px);  // strictly worse away from the touch
      }
      CHECK(b.qty_at(s, l.px) == l.qty);
      seen.emplace(l.px, l.qty);
    }
    if (n > 0) CHECK(b.best(s) == b.level(s, 0));
    // Prices next to each level (on and off the grid) that are not levels read 0.
    for (const auto& [px, qty] : seen) {
      for (const Fixed probe : {px - kTick, px + kTick, px - 1, px + 1}) {
        if (probe <= 0) continue;
        const auto it = seen.find(probe);
        CHECK(b.qty_at(s, probe) == (it == seen.end() ? 0 : it->second));
      }
    }
  }
  const bool bids = b.depth(Side::Buy) > 0, asks = b.depth(Side::Sell) > 0;
  CHECK(b.empty() == (!bids && !asks));
  CHECK(b.has_top() == (bids && asks));
  CHECK(b.crossed() == (bids && asks && b.best_bid().px >= b.best_ask().px));
  if (bids) CHECK(b.best_bid() == b.best(Side::Buy));
  if (asks) CHECK(b.best_ask() == b.best(Side::Sell));
}

void trace_book(const OrderBook& b) {
  for (const Side s : kSides) {
    std::fprintf(stderr, "    %s:", side_str(s));
    for (std::size_t k = 0; k < b.depth(s); ++k) {
      const PriceLevel l = b.level(s, k);
      std::fprintf(stderr, " %lld@%lld", static_cast<long long>(l.qty / kLot), static_cast<long long>(l.px / kTick));
    }
    std::fprintf(stderr, "\n");
  }
}

void trace_levels(const char* name, const std::vector<PriceLevel>& v) {
  std::fprintf(stderr, " %s[", name);
  for (std::size_t i = 0; i < v.size(); ++i)
    std::fprintf(stderr, "%s%lld@%lld", i ? " " : "", static_cast<long long>(v[i].qty / kLot),
                 static_cast<long long>(v[i].px / kTick));
  std::fprintf(stderr, "]");
}

// ---- the raw OrderBook and its models ----

struct RawBook {
  // The smallest ladder, so prices spread over more steps than it (below) move its window and
  // reach the sorted store beneath it.
  explicit RawBook(std::size_t cap) : cap(cap), book(cap, OrderBook::kMinLadderSteps) {}
  std::size_t cap;
  OrderBook book;
  Levels bounded[2];             // the capacity rule: must equal the book exactly
  Levels unbounded[2];           // every apply, no capacity: a superset of the book
  bool overflowed[2] = {false, false};  // the side evicted or dropped since the last clear
};

void raw_apply(RawBook& r, Side s, Fixed px, Fixed qty) {
  const LevelChange want = model_apply(r.bounded[idx(s)], r.cap, s, px, qty);
  model_apply(r.unbounded[idx(s)], SIZE_MAX, s, px, qty);
  const LevelChange got = r.book.apply(s, px, qty);
  if (g_trace)
    std::fprintf(stderr, "#%zu raw %s %lld@%lld -> %s\n", g_op, side_str(s), static_cast<long long>(qty / kLot),
                 static_cast<long long>(px / kTick), change_str(got));
  CHECK(got == want);
  if (got == LevelChange::InsertedEvicting || got == LevelChange::DroppedFull) r.overflowed[idx(s)] = true;
}

void check_raw(const RawBook& r) {
  check_structure(r.book, r.cap);
  for (const Side s : kSides) {
    CHECK(same_side(r.book, s, r.bounded[idx(s)]));
    const Levels& all = r.unbounded[idx(s)];
    for (std::size_t k = 0; k < r.book.depth(s); ++k) {
      const PriceLevel l = r.book.level(s, k);
      const auto it = all.find(key_of(s, l.px));
      CHECK(it != all.end() && it->second == l.qty);
    }
    // A side that never evicted nor dropped holds everything. (Once it has, no stronger rule holds:
    // removing the touch later can leave an evicted level better than all the book holds.)
    if (!r.overflowed[idx(s)]) CHECK(same_side(r.book, s, all));
  }
}

// ---- BinanceBookSync ----

struct SyncView {
  BookSyncState state;
  bool valid;
  uint64_t last_id;
  std::size_t buffered;
  BookSyncStats stats;
  Levels book[2];
};

SyncView capture(const BinanceBookSync& s) {
  SyncView v{s.state(), s.valid(), s.last_update_id(), s.buffered_diffs(), s.stats(), {}};
  for (const Side side : kSides) v.book[idx(side)] = read_side(s.book(), side);
  return v;
}

bool book_is(const BinanceBookSync& s, const Levels m[2]) {
  return same_side(s.book(), Side::Buy, m[0]) && same_side(s.book(), Side::Sell, m[1]);
}

bool unchanged(const BinanceBookSync& s, const SyncView& pre) {
  return s.state() == pre.state && s.last_update_id() == pre.last_id && s.buffered_diffs() == pre.buffered &&
         book_is(s, pre.book);
}

void check_stats_monotone(const BookSyncStats& a, const BookSyncStats& b) {
  CHECK(b.diffs_applied >= a.diffs_applied);
  CHECK(b.diffs_duplicate >= a.diffs_duplicate);
  CHECK(b.diffs_discarded >= a.diffs_discarded);
  CHECK(b.snapshots_loaded >= a.snapshots_loaded);
  CHECK(b.snapshots_too_old >= a.snapshots_too_old);
  CHECK(b.snapshots_ignored >= a.snapshots_ignored);
  CHECK(b.gaps >= a.gaps);
  CHECK(b.crossed >= a.crossed);
  CHECK(b.resyncs >= a.resyncs);
  CHECK(b.levels_evicted >= a.levels_evicted);
  CHECK(b.levels_dropped_full >= a.levels_dropped_full);
}

struct SyncHarness {
  SyncHarness(BookChain chain, std::size_t cap, std::size_t buf_diffs, std::size_t buf_levels)
      : chain(chain), cap(cap), buf_diffs(buf_diffs), buf_levels(buf_levels), sync(chain, cap, buf_diffs, buf_levels) {}
  BookChain chain;
  std::size_t cap, buf_diffs, buf_levels;
  BinanceBookSync sync;
  uint64_t run = 0;            // the stream's running update id (greatest u generated)
  uint64_t loaded_l = 0;       // L of the snapshot the valid book came from
  bool may_have_been_valid = false;  // the sync may have seen a valid book (resync accounting)
  bool lost_valid_book = false;      // a diff broke a valid book, no reset since
};

// Checks that hold after any operation, given the view before it.
void check_sync(const SyncHarness& h, const SyncView& pre) {
  const BinanceBookSync& s = h.sync;
  check_structure(s.book(), h.cap);
  CHECK(s.valid() == (s.state() != BookSyncState::AwaitingSnapshot));
  CHECK(s.chain() == h.chain);
  if (s.valid()) {
    CHECK(!s.book().crossed());
    CHECK(s.buffered_diffs() == 0);
    CHECK(s.last_update_id() >= h.loaded_l);
    if (s.state() == BookSyncState::AwaitingFirstDiff) CHECK(s.last_update_id() == h.loaded_l);
    if (pre.valid) CHECK(s.last_update_id() >= pre.last_id);
  } else {
    CHECK(s.book().empty());
  }
  CHECK(s.buffered_diffs() <= h.buf_diffs);
  check_stats_monotone(pre.stats, s.stats());
  CHECK(s.stats().resyncs <= s.stats().snapshots_loaded);
}

void trace_sync(const SyncHarness& h, BookSyncOutcome o) {
  if (!g_trace) return;
  const BinanceBookSync& s = h.sync;
  std::fprintf(stderr, "  -> %s state=%s last_id=%llu buffered=%zu\n", outcome_str(o), state_str(s.state()),
               static_cast<unsigned long long>(s.last_update_id()), s.buffered_diffs());
  trace_book(s.book());
}

void sync_diff(SyncHarness& h, Reader& r, uint8_t op) {
  const uint8_t a = r.u8(), b = r.u8(), c = r.u8();
  // U: usually the stream's next id, sometimes a little before (overlap, repeat) or after (gap).
  const unsigned k = a & 0x0F;
  const uint64_t first = k < 10 ? h.run + 1 : h.run + 1 + k - 13;  // -3..+2 around the next id
  uint64_t last = first + ((a >> 4) & 3);
  if ((a >> 4) == 0x0F) last = first - 1;  // malformed: u < U
  // pu: usually the previous u of the stream.
  const unsigned p = b & 7;
  const uint64_t prev = p < 5 ? h.run : h.run + p - 6;  // -1, 0, +1
  if (last > h.run) h.run = last;
  std::vector<PriceLevel> bids, asks;
  const unsigned nb = c & 3, na = (c >> 2) & 3;
  for (unsigned i = 0; i < nb + na; ++i) {
    const uint8_t pb = r.u8(), qb = r.u8();
    const bool bid = i < nb;
    Fixed tick = pb < 224 ? (bid ? 1 + pb % 100 : 101 + pb % 100) : 1 + (pb % 32) * 6;  // the last band crosses
    const Fixed qty = qb % 4 == 0 ? 0 : (1 + qb) * kLot;
    (bid ? bids : asks).push_back({tick * kTick, qty});
  }
  (void)op;
  DepthUpdate d;
  d.bids = bids;
  d.asks = asks;
  d.first_id = first;
  d.last_id = last;
  d.has_prev_last_id = h.chain == BookChain::Futures;
  d.prev_last_id = d.has_prev_last_id ? prev : 0;
  d.exch_ts_ns = d.recv_ts_ns = static_cast<int64_t>(g_op) * 1000;
  d.symbol = 0;
  if (g_trace) {
    std::fprintf(stderr, "#%zu diff U=%llu u=%llu", g_op, static_cast<unsigned long long>(first),
                 static_cast<unsigned long long>(last));
    if (d.has_prev_last_id) std::fprintf(stderr, " pu=%llu", static_cast<unsigned long long>(prev));
    trace_levels("bids", bids);
    trace_levels("asks", asks);
    std::fprintf(stderr, "\n");
  }

  const SyncView pre = capture(h.sync);
  const BookSyncOutcome o = h.sync.on_diff(d);
  trace_sync(h, o);
  check_sync(h, pre);
  const BinanceBookSync& s = h.sync;
  const BookSyncStats& st = s.stats();

  if (o == BookSyncOutcome::Gap || o == BookSyncOutcome::Crossed) CHECK(!s.valid());
  CHECK(o == BookSyncOutcome::Buffered || o == BookSyncOutcome::Applied || o == BookSyncOutcome::Duplicate ||
        o == BookSyncOutcome::Gap || o == BookSyncOutcome::Crossed);
  if (!pre.valid) {
    // No book: the diff is kept (or dropped) for a snapshot; nothing becomes valid.
    CHECK(o == BookSyncOutcome::Buffered || o == BookSyncOutcome::Duplicate || o == BookSyncOutcome::Gap);
    CHECK(s.state() == BookSyncState::AwaitingSnapshot);
    CHECK(st.diffs_applied == pre.stats.diffs_applied);
    return;
  }
  if (first > last) return;  // malformed: only the general invariants
  if (last <= pre.last_id) {
    CHECK(o == BookSyncOutcome::Duplicate);
    CHECK(unchanged(s, pre));
    CHECK(st.diffs_duplicate == pre.stats.diffs_duplicate + 1);
    return;
  }
  bool joins;
  if (pre.state == BookSyncState::AwaitingFirstDiff) {
    const uint64_t l = pre.last_id;
    joins = h.chain == BookChain::Spot ? first <= l + 1 && l + 1 <= last : first <= l && l <= last;
  } else {
    joins = h.chain == BookChain::Spot ? first == pre.last_id + 1 : prev == pre.last_id;
  }
  if (!joins) {
    CHECK(o == BookSyncOutcome::Gap);
    CHECK(st.gaps == pre.stats.gaps + 1);
    if (pre.state == BookSyncState::Synced) {
      CHECK(st.last_gap_expected == (h.chain == BookChain::Spot ? pre.last_id + 1 : pre.last_id));
      CHECK(st.last_gap_got == (h.chain == BookChain::Spot ? first : prev));
    }
    // The diff that broke the chain is the first of the stream to join.
    if (bids.size() + asks.size() <= h.buf_levels) CHECK(s.buffered_diffs() == 1);
    h.lost_valid_book = true;
    return;
  }
  Levels m[2] = {pre.book[0], pre.book[1]};
  uint64_t evicted = 0, dropped = 0;
  for (const Side side : kSides) {
    for (const PriceLevel& l : side == Side::Buy ? bids : asks) {
      const LevelChange ch = model_apply(m[idx(side)], h.cap, side, l.px, l.qty);
      evicted += ch == LevelChange::InsertedEvicting;
      dropped += ch == LevelChange::DroppedFull;
    }
  }
  CHECK(st.levels_evicted == pre.stats.levels_evicted + evicted);
  CHECK(st.levels_dropped_full == pre.stats.levels_dropped_full + dropped);
  if (model_crossed(m)) {
    CHECK(o == BookSyncOutcome::Crossed);
    CHECK(st.crossed == pre.stats.crossed + 1);
    h.lost_valid_book = true;
    return;
  }
  CHECK(o == BookSyncOutcome::Applied);
  CHECK(s.state() == BookSyncState::Synced);
  CHECK(s.last_update_id() == last);
  CHECK(st.diffs_applied == pre.stats.diffs_applied + 1);
  CHECK(book_is(s, m));
}

void sync_snapshot(SyncHarness& h, Reader& r, uint8_t op) {
  const uint8_t a = r.u8(), b = r.u8();
  const uint64_t l = h.run + (a & 15) - 8;  // near the stream's running id, often behind it
  const bool wide = (a & 0x80) != 0;        // prices from the whole grid: the sides may cross
  const unsigned nb = b & 15, na = (b >> 4) & 15;
  std::vector<PriceLevel> bids, asks;
  Levels seen[2];
  for (unsigned i = 0; i < nb + na; ++i) {
    const uint8_t pb = r.u8(), qb = r.u8();
    const Side side = i < nb ? Side::Buy : Side::Sell;
    const Fixed tick = wide ? 1 + pb % 200 : (side == Side::Buy ? 1 + pb % 100 : 101 + pb % 100);
    const Fixed px = tick * kTick;
    if (!seen[idx(side)].emplace(key_of(side, px), 0).second) continue;  // a snapshot's prices are distinct
    (side == Side::Buy ? bids : asks).push_back({px, (1 + qb) * kLot});
  }
  (void)op;
  DepthUpdate d;
  d.bids = bids;
  d.asks = asks;
  d.first_id = d.last_id = l;
  d.exch_ts_ns = d.recv_ts_ns = static_cast<int64_t>(g_op) * 1000;
  d.symbol = 0;
  d.snapshot = true;
  if (g_trace) {
    std::fprintf(stderr, "#%zu snapshot L=%llu", g_op, static_cast<unsigned long long>(l));
    trace_levels("bids", bids);
    trace_levels("asks", asks);
    std::fprintf(stderr, "\n");
  }

  const SyncView pre = capture(h.sync);
  const BookSyncOutcome o = h.sync.on_snapshot(d);
  if (!pre.valid && h.sync.valid()) h.loaded_l = l;
  trace_sync(h, o);
  check_sync(h, pre);
  const BinanceBookSync& s = h.sync;
  const BookSyncStats& st = s.stats();

  if (o == BookSyncOutcome::Gap || o == BookSyncOutcome::Crossed) CHECK(!s.valid());
  if (pre.valid) {
    CHECK(o == BookSyncOutcome::SnapshotIgnored);
    CHECK(unchanged(s, pre));
    CHECK(st.snapshots_ignored == pre.stats.snapshots_ignored + 1);
    return;
  }
  CHECK(o == BookSyncOutcome::SnapshotLoaded || o == BookSyncOutcome::SnapshotTooOld || o == BookSyncOutcome::Gap ||
        o == BookSyncOutcome::Crossed);
  if (o == BookSyncOutcome::SnapshotLoaded) {
    CHECK(s.valid());
    CHECK(st.snapshots_loaded == pre.stats.snapshots_loaded + 1);
    if (!h.may_have_been_valid) CHECK(st.resyncs == pre.stats.resyncs);
    if (h.lost_valid_book) CHECK(st.resyncs == pre.stats.resyncs + 1);
  } else {
    CHECK(!s.valid());
  }
  CHECK(st.resyncs <= pre.stats.resyncs + 1);
  if (o == BookSyncOutcome::SnapshotTooOld) {
    CHECK(st.snapshots_too_old == pre.stats.snapshots_too_old + 1);
    CHECK(s.buffered_diffs() == pre.buffered);
  }
  if (pre.buffered == 0) {
    // Nothing buffered: nothing to be older than, nothing to apply after it: the book is the
    // snapshot's best levels (its prices are distinct, so the order they come in does not matter).
    Levels m[2];
    for (const Side side : kSides)
      for (const PriceLevel& lv : side == Side::Buy ? bids : asks) model_apply(m[idx(side)], h.cap, side, lv.px, lv.qty);
    if (!model_crossed(m)) {
      CHECK(o == BookSyncOutcome::SnapshotLoaded);
      CHECK(s.state() == BookSyncState::AwaitingFirstDiff);
      CHECK(s.last_update_id() == l);
      CHECK(book_is(s, m));
    }
  }
  if (o != BookSyncOutcome::SnapshotTooOld) h.may_have_been_valid = true;
  if (s.valid()) h.lost_valid_book = false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  static const bool trace = [] {
    const char* e = std::getenv("FUZZ_ORDER_BOOK_TRACE");
    return e != nullptr && *e != '\0' && *e != '0';
  }();
  g_trace = trace;
  g_op = 0;
  Reader r(data, size);
  // Header: small capacities most of the time so that sides fill up, evict and drop.
  const uint8_t h0 = r.u8(), h1 = r.u8(), h2 = r.u8(), h3 = r.u8(), h4 = r.u8();
  const std::size_t sync_cap = (h0 & 0x80) ? 1 + (h0 & 63) : 1 + (h0 & 7);
  const std::size_t raw_cap = (h1 & 0x80) ? 1 + (h1 & 63) : 1 + (h1 & 7);
  const BookChain chain = (h2 & 1) ? BookChain::Futures : BookChain::Spot;
  const std::size_t buf_diffs = 1 + ((h2 >> 1) & 7);
  const std::size_t buf_levels = (h3 & 0x80) ? std::size_t{1} << 16 : 1 + (h3 & 31);
  RawBook raw(raw_cap);
  SyncHarness h(chain, sync_cap, buf_diffs, buf_levels);
  h.run = 100 + h4;
  if (g_trace)
    std::fprintf(stderr, "header: sync_cap=%zu raw_cap=%zu chain=%s buffer_diffs=%zu buffer_levels=%zu run=%llu\n",
                 sync_cap, raw_cap, chain == BookChain::Spot ? "spot" : "futures", buf_diffs, buf_levels,
                 static_cast<unsigned long long>(h.run));
  {
    const SyncView pre = capture(h.sync);
    CHECK(!pre.valid && pre.buffered == 0 && h.sync.book().empty());
    check_sync(h, pre);
  }

  while (!r.empty()) {
    ++g_op;
    const uint8_t op = r.u8();
    const unsigned kind = op & 15;
    if (kind < 4) {
      // Raw apply: 1..4 levels, each (side | price) and qty.
      const unsigned n = 1 + ((op >> 4) & 3);
      for (unsigned i = 0; i < n; ++i) {
        const uint8_t a = r.u8(), q = r.u8();
        const Side side = (a & 1) ? Side::Sell : Side::Buy;
        // 1..128 ticks; or, for op >> 6 == 3, spread over ~38,400 ticks (wider than the ladder).
        const Fixed px = (op >> 6) == 3 ? ((1 + (a >> 1)) * 300 + (q >> 5)) * kTick : (1 + (a >> 1)) * kTick;
        const Fixed qty = q % 3 == 0 ? 0 : (1 + q) * kLot;
        raw_apply(raw, side, px, qty);
      }
      if (g_trace) trace_book(raw.book);
    } else if (kind < 12) {
      sync_diff(h, r, op);
    } else if (kind < 15) {
      sync_snapshot(h, r, op);
    } else {
      const unsigned mode = (op >> 4) % 3;
      if (g_trace) std::fprintf(stderr, "#%zu reset%s%s\n", g_op, mode != 1 ? " sync" : "", mode != 0 ? " book" : "");
      if (mode != 1) {
        const SyncView pre = capture(h.sync);
        h.sync.reset();
        h.lost_valid_book = false;
        CHECK(h.sync.state() == BookSyncState::AwaitingSnapshot);
        CHECK(h.sync.buffered_diffs() == 0);
        check_sync(h, pre);
      }
      if (mode != 0) {
        raw.book.clear();
        for (int s = 0; s < 2; ++s) {
          raw.bounded[s].clear();
          raw.unbounded[s].clear();
          raw.overflowed[s] = false;
        }
        CHECK(raw.book.empty());
      }
    }
    check_raw(raw);
  }
  return 0;
}
