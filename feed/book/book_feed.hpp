// BookFeed: the feed thread's order books, one sync per symbol ([book], docs/order-book.md). It sits
// between the normalizer and the rest of the pipeline and decides which market events a venue
// message becomes:
//
// - A depth message goes to its symbol's sync. When the book changed, the BookLevel events of the
//   change (only with `emit_levels`: the simulated venue's replica needs them) and then one BookTop
//   event if the book's top changed, else one Clock event (every valid depth diff moves the engine
//   clock by its exchange time, as before there was a book: SPEC §9.14). A (re)loaded book is a
//   Clear level event, every level, and a BookTop.
// - A gap or a crossed book (the book is lost): a Clear|Lost level event, which makes the symbol
//   stale in the strategy (SPEC §10.5) until the resynchronised book's first top, and a Clock event.
//   needs_snapshot() then says the symbol needs a new snapshot (live mode asks the venue's REST API).
// - A book top from the venue's ticker stream (Binance bookTicker) is not a mark while the symbol
//   has a book: the book is the symbol's only source of tops, so marks, the simulated venue's fills
//   and the slippage figures all describe the same book. The ticker then audits the book: one with
//   the same update id as the book's last diff must show the same top, or the book is counted wrong
//   (top_mismatches), lost and resynchronised; any other is counted (tops_superseded) and dropped.
//
// Counters are per symbol, written by the feed thread only (Counter: readable from ops/).
// Hot path: no allocation after construction, noexcept.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/types/counters.hpp"
#include "core/types/events.hpp"
#include "feed/book/binance_book_sync.hpp"
#include "feed/book/depth_update.hpp"

namespace tp::feed {

// Per symbol, for the report and /metrics.
struct BookCounters {
  Counter diffs_applied;
  Counter diffs_duplicate;
  Counter diffs_discarded;
  Counter snapshots_loaded;
  Counter snapshots_too_old;
  Counter gaps;
  Counter crossed;
  Counter resyncs;
  Counter top_mismatches;     // a ticker at the book's own update id showed another top
  Counter tops_superseded;    // ticker tops dropped because the symbol has a book
  Counter levels_dropped;     // levels the fixed capacity could not hold (evicted or never inserted)
  Counter valid;              // 1 while the book is valid
  Counter bid_levels;         // depth after the last change
  Counter ask_levels;
  Counter last_gap_expected;  // the last gap: the update id the chain expected, and what came
  Counter last_gap_got;
};

// The part of a BookFeed that does not depend on the venue: its counters (and what the report and
// /metrics read).
class BookFeedBase {
 public:
  explicit BookFeedBase(std::size_t symbols) : counters_(symbols), needs_snapshot_(symbols, 0) {}
  std::size_t symbols() const noexcept { return counters_.size(); }
  const BookCounters& counters(SymbolId id) const noexcept { return counters_[id]; }
  uint64_t snapshots_unattributed() const noexcept { return snapshots_unattributed_; }
  // The symbol's book needs a (new) snapshot: it was lost, or diffs wait for one. Feed thread only.
  bool needs_snapshot(SymbolId id) const noexcept { return needs_snapshot_[id] != 0; }

 protected:
  std::vector<BookCounters> counters_;
  std::vector<uint8_t> needs_snapshot_;  // feed thread only
  Counter snapshots_unattributed_;       // a REST snapshot naming no symbol with several configured
};

// The book sync of a normalizer's venue (its member alias BookSync), or void: no book for it.
template <typename Normalizer>
struct BookSyncOf {
  using type = void;
};
template <typename Normalizer>
  requires requires { typename Normalizer::BookSync; }
struct BookSyncOf<Normalizer> {
  using type = typename Normalizer::BookSync;
};

template <typename Sync>
class BookFeed : public BookFeedBase {
 public:
  // Allocates every sync (throws std::bad_alloc). `make_sync(id)` returns a std::unique_ptr<Sync>.
  template <typename MakeSync>
  BookFeed(std::size_t symbols, bool emit_levels, MakeSync&& make_sync)
      : BookFeedBase(symbols), emit_levels_(emit_levels) {
    syncs_.reserve(symbols);
    for (std::size_t i = 0; i < symbols; ++i) syncs_.push_back(make_sync(static_cast<SymbolId>(i)));
  }

  const Sync& sync(SymbolId id) const noexcept { return *syncs_[id]; }

  // A depth message (a diff, or a snapshot: one naming no symbol belongs to the only symbol, if
  // there is one). `emit(const MarketEvent&)` is called for each event it becomes.
  template <typename Emit>
  void on_depth(const DepthUpdate& in, Emit&& emit) noexcept {
    SymbolId id = in.symbol;
    if (id == kNoSymbol) {
      if (syncs_.size() != 1) {
        ++snapshots_unattributed_;
        return;
      }
      id = 0;
    }
    if (id >= syncs_.size()) return;
    Sync& s = *syncs_[id];
    const bool had_book = s.valid();
    const TopView before = top_of(s);
    const BookSyncOutcome r = in.snapshot ? s.on_snapshot(in) : s.on_diff(in);
    MarketEvent ev;
    switch (r) {
      case BookSyncOutcome::Applied:
        if (emit_levels_) emit_levels_of(id, in, emit);
        if (const TopView now = top_of(s); now != before) {
          emit_top(id, s, in.exch_ts_ns, in.recv_ts_ns, emit);
          break;
        }
        emit(make_clock(kNoSymbol, in.exch_ts_ns, in.recv_ts_ns));
        break;
      case BookSyncOutcome::SnapshotLoaded:
        needs_snapshot_[id] = 0;
        if (emit_levels_) {
          set_book_level(ev, id, BookLevel{0, 0, s.last_update_id(), Side::Buy, kBookLevelClear}, in.exch_ts_ns,
                         in.recv_ts_ns);
          emit(ev);
          emit_whole_book(id, s, in.exch_ts_ns, in.recv_ts_ns, emit);
        }
        emit_top(id, s, in.exch_ts_ns, in.recv_ts_ns, emit);
        break;
      case BookSyncOutcome::Gap:
      case BookSyncOutcome::Crossed:
        lose(id, had_book, in.exch_ts_ns, in.recv_ts_ns, emit);
        if (!in.snapshot) emit(make_clock(kNoSymbol, in.exch_ts_ns, in.recv_ts_ns));
        break;
      case BookSyncOutcome::SnapshotTooOld:
        needs_snapshot_[id] = 1;
        break;
      case BookSyncOutcome::Buffered:
        // A diff while the book is awaited: a snapshot is needed unless one is on its way (the
        // first diffs of a subscription arrive before the snapshot the engine asked for).
        if (!had_book) needs_snapshot_[id] = 1;
        [[fallthrough]];
      case BookSyncOutcome::Duplicate:
      case BookSyncOutcome::SnapshotIgnored:
        if (!in.snapshot) emit(make_clock(kNoSymbol, in.exch_ts_ns, in.recv_ts_ns));
        break;
    }
    publish(id, s);
  }

  // A book top from the ticker stream. True: it is the symbol's mark (the symbol has no book
  // configured: never here). False: dropped (see the header comment); it may have lost the book.
  template <typename Emit>
  bool admit_top(const MarketEvent& top, Emit&& emit) noexcept {
    const SymbolId id = top.symbol_id;
    if (id >= syncs_.size()) return true;
    Sync& s = *syncs_[id];
    BookCounters& c = counters_[id];
    if (s.valid() && s.last_update_id() != 0 && top.book.venue_seq == s.last_update_id() && s.book().has_top()) {
      const PriceLevel bid = s.book().best_bid(), ask = s.book().best_ask();
      if (bid.px != top.book.bid_px || bid.qty != top.book.bid_qty || ask.px != top.book.ask_px ||
          ask.qty != top.book.ask_qty) {
        ++c.top_mismatches;
        s.reset();
        lose(id, true, top.exch_ts_ns, top.recv_ts_ns, emit);
        publish(id, s);
        return false;
      }
    }
    ++c.tops_superseded;
    return false;
  }

 private:
  struct TopView {
    PriceLevel bid{0, 0}, ask{0, 0};
    bool operator!=(const TopView& o) const noexcept { return !(bid == o.bid) || !(ask == o.ask); }
  };
  static TopView top_of(const Sync& s) noexcept {
    TopView t;
    if (!s.valid()) return t;
    if (s.book().depth(Side::Buy) > 0) t.bid = s.book().best_bid();
    if (s.book().depth(Side::Sell) > 0) t.ask = s.book().best_ask();
    return t;
  }

  template <typename Emit>
  void emit_top(SymbolId id, const Sync& s, int64_t exch_ts, int64_t recv_ts, Emit& emit) noexcept {
    const TopView t = top_of(s);
    MarketEvent ev;
    set_book_top(ev, id, BookTop{t.bid.px, t.bid.qty, t.ask.px, t.ask.qty, s.last_update_id()}, exch_ts, recv_ts);
    emit(ev);
  }

  template <typename Emit>
  void emit_levels_of(SymbolId id, const DepthUpdate& d, Emit& emit) noexcept {
    MarketEvent ev;
    for (const PriceLevel& l : d.bids) {
      set_book_level(ev, id, BookLevel{l.px, l.qty, d.last_id, Side::Buy, 0}, d.exch_ts_ns, d.recv_ts_ns);
      emit(ev);
    }
    for (const PriceLevel& l : d.asks) {
      set_book_level(ev, id, BookLevel{l.px, l.qty, d.last_id, Side::Sell, 0}, d.exch_ts_ns, d.recv_ts_ns);
      emit(ev);
    }
  }

  // Worst level first, so the replica appends at the back of its arrays (as the sync loaded it).
  template <typename Emit>
  void emit_whole_book(SymbolId id, const Sync& s, int64_t exch_ts, int64_t recv_ts, Emit& emit) noexcept {
    MarketEvent ev;
    for (const Side side : {Side::Buy, Side::Sell}) {
      for (std::size_t k = s.book().depth(side); k-- > 0;) {
        const PriceLevel l = s.book().level(side, k);
        set_book_level(ev, id, BookLevel{l.px, l.qty, s.last_update_id(), side, 0}, exch_ts, recv_ts);
        emit(ev);
      }
    }
  }

  template <typename Emit>
  void lose(SymbolId id, bool had_book, int64_t exch_ts, int64_t recv_ts, Emit& emit) noexcept {
    needs_snapshot_[id] = 1;
    if (!had_book) return;  // nothing downstream believed in a book
    MarketEvent ev;
    set_book_level(ev, id, BookLevel{0, 0, 0, Side::Buy, static_cast<uint8_t>(kBookLevelClear | kBookLost)}, exch_ts,
                   recv_ts);
    emit(ev);
  }

  void publish(SymbolId id, const Sync& s) noexcept {
    BookCounters& c = counters_[id];
    const BookSyncStats& st = s.stats();
    c.diffs_applied = st.diffs_applied;
    c.diffs_duplicate = st.diffs_duplicate;
    c.diffs_discarded = st.diffs_discarded;
    c.snapshots_loaded = st.snapshots_loaded;
    c.snapshots_too_old = st.snapshots_too_old;
    c.gaps = st.gaps;
    c.crossed = st.crossed;
    c.resyncs = st.resyncs;
    c.levels_dropped = st.levels_evicted + st.levels_dropped_full;
    c.last_gap_expected = st.last_gap_expected;
    c.last_gap_got = st.last_gap_got;
    c.valid = s.valid() ? 1 : 0;
    c.bid_levels = s.book().depth(Side::Buy);
    c.ask_levels = s.book().depth(Side::Sell);
  }

  std::vector<std::unique_ptr<Sync>> syncs_;
  bool emit_levels_;
};

}  // namespace tp::feed
