// CoinbaseBookSync: keeps one product's OrderBook in step with the Coinbase Exchange "level2"
// channel (the legacy Coinbase Pro feed; CoinbaseNormalizer::enable_depth() reads its messages):
//
//   snapshot  the whole book (sent once, when the channel is subscribed);
//   l2update  changes with absolute sizes; size 0 removes the level.
//
// The channel numbers nothing (no sequence, no update ids), so unlike BinanceBookSync there is no
// chain to check and no buffer: the updates of one connection are applied in the order they come.
//
//   - A snapshot always (re)loads the book: clear, then its levels; the book is then valid unless
//     the snapshot itself is crossed. Also while the book is valid (a new subscription): never
//     SnapshotIgnored.
//   - An l2update before any snapshot (or after the book was lost) cannot be applied and is not
//     kept: it is counted in diffs_discarded and returns BookSyncOutcome::Buffered (the outcome the
//     caller already treats as "no book yet, a snapshot is needed": it stays stale), although
//     nothing is buffered; buffered_diffs() is always 0.
//   - After every applied update the book is checked: a crossed book (best bid >= best ask) means an
//     update was missed. The book is cleared, the sync awaits a snapshot (counted in `crossed`,
//     returns Crossed). The level2 channel sends a snapshot only on subscription, so the CALLER must
//     resubscribe the product (unsubscribe + subscribe, or reconnect) to get its book back.
//
// The shared types (BookSyncOutcome, BookSyncState, BookSyncStats) are BinanceBookSync's, and the
// member functions are the same, so a caller templated on the sync type (feed/book/book_feed.hpp)
// treats both venues alike. Never used here: Duplicate, Gap, SnapshotTooOld, SnapshotIgnored (and
// their counters, and last_gap_*). last_update_id() is 0 (nothing to number a book top by).
// States: AwaitingSnapshot (no book), AwaitingFirstDiff (a snapshot loaded, no update since), Synced.
// resyncs counts the snapshots that made the book valid again after it had been valid and was lost
// (crossed, or reset()); a snapshot reloading a valid book is not one.
//
// Fixed capacity: levels_per_side per side (a full side keeps the levels nearest the touch; evicted
// and dropped levels counted as BinanceBookSync counts them).
//
// Hot path: no allocation after construction, noexcept. One instance per product, one thread.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/book/order_book.hpp"
#include "feed/book/binance_book_sync.hpp"
#include "feed/book/depth_update.hpp"

namespace tp::feed {

class CoinbaseBookSync {
 public:
  // Allocates the book (throws std::bad_alloc).
  explicit CoinbaseBookSync(std::size_t levels_per_side);
  CoinbaseBookSync(const CoinbaseBookSync&) = delete;
  CoinbaseBookSync& operator=(const CoinbaseBookSync&) = delete;

  // An l2update: Applied, Crossed, or Buffered (no book: discarded, see the header comment).
  BookSyncOutcome on_diff(const DepthUpdate& d) noexcept;
  // A snapshot: SnapshotLoaded, or Crossed (the snapshot itself was crossed: no book).
  BookSyncOutcome on_snapshot(const DepthUpdate& s) noexcept;

  // Forget the book (a feed reconnect: a snapshot is needed).
  void reset() noexcept;

  BookSyncState state() const noexcept { return state_; }
  // The book may be read (marks, fills) only while this is true.
  bool valid() const noexcept { return state_ != BookSyncState::AwaitingSnapshot; }
  const OrderBook& book() const noexcept { return book_; }
  const BookSyncStats& stats() const noexcept { return stats_; }
  // Always 0: the level2 channel has no update ids.
  uint64_t last_update_id() const noexcept { return 0; }
  // Always 0: nothing is buffered.
  std::size_t buffered_diffs() const noexcept { return 0; }

 private:
  void apply_level(Side side, const PriceLevel& l) noexcept;
  void lose_book() noexcept;

  BookSyncState state_ = BookSyncState::AwaitingSnapshot;
  bool was_valid_ = false;  // a later return to a valid book is a resync
  OrderBook book_;
  BookSyncStats stats_;
};

}  // namespace tp::feed
