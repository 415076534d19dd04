// BinanceBookSync: keeps one symbol's OrderBook in step with Binance's depth stream, by the
// procedure Binance documents ("How to manage a local order book correctly"):
//
//   1. Buffer the diffs while there is no snapshot.
//   2. A snapshot whose lastUpdateId (L) is older than the first buffered diff (spot: L + 1 < U;
//      futures: L < U) cannot be joined to the stream: it is counted and a newer one is needed.
//   3. Otherwise load the snapshot and drop every diff with u <= L.
//   4. The first diff applied must straddle L (spot: U <= L + 1 <= u; futures: U <= L <= u).
//   5. After it, each diff must follow the one before (spot: U == previous u + 1; futures:
//      pu == previous u).
//
// A diff that breaks 4 or 5 is a gap: the book is cleared, the sync goes back to awaiting a
// snapshot, and that diff is buffered as the first of the stream to join. A diff already applied
// (u <= the last applied u: the same diff seen on two connections while they overlap) is dropped
// and counted, not a gap. After every applied diff the book is checked: a crossed book (best bid
// >= best ask) means an update was missed, and is handled like a gap.
//
// Fixed capacity: the book (levels_per_side), and the buffer of diffs awaiting a snapshot
// (buffer_diffs diffs holding buffer_levels levels in all). A full buffer discards its oldest diffs
// (counted): those are the ones a snapshot taken now makes useless anyway.
//
// Hot path: no allocation after construction, noexcept. One instance per symbol, one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "core/book/order_book.hpp"
#include "feed/book/depth_update.hpp"

namespace tp::feed {

// How consecutive diffs chain: spot diffs carry U and u; futures diffs also carry pu. Auto: the
// first diff decides (one with "pu" is futures), which is what the engine uses.
enum class BookChain : uint8_t { Spot, Futures, Auto };

enum class BookSyncState : uint8_t {
  AwaitingSnapshot,  // no valid book: diffs are buffered
  AwaitingFirstDiff, // snapshot loaded; the first diff after it has not come yet (the book is valid)
  Synced,            // snapshot and the diffs since applied in an unbroken chain
};

// What one call did (the caller turns Gap / Crossed into a stale symbol and a resync, and a
// return to a valid book into a fresh one).
enum class BookSyncOutcome : uint8_t {
  Buffered,        // kept for when a snapshot comes
  Applied,         // a diff changed the book
  Duplicate,       // u <= the last u applied (or than the snapshot's L): nothing to do
  Gap,             // the chain broke: the book is cleared and a snapshot is needed
  Crossed,         // the diff left the book crossed: cleared, a snapshot is needed
  SnapshotLoaded,  // the book is valid again (buffered diffs after it applied)
  SnapshotTooOld,  // older than the buffered diffs: a newer snapshot is needed
  SnapshotIgnored, // the book was already valid: nothing changed
};

struct BookSyncStats {
  uint64_t diffs_applied = 0;
  uint64_t diffs_duplicate = 0;     // u <= last applied u (or <= the snapshot's L)
  uint64_t diffs_discarded = 0;     // buffered, then discarded: the buffer was full, or a gap before a snapshot
  uint64_t snapshots_loaded = 0;
  uint64_t snapshots_too_old = 0;
  uint64_t snapshots_ignored = 0;
  uint64_t gaps = 0;
  uint64_t crossed = 0;
  uint64_t resyncs = 0;             // the book valid again after a gap or a crossed book
  uint64_t levels_evicted = 0;      // a full side gave up its worst level for a better one
  uint64_t levels_dropped_full = 0; // a full side ignored a level worse than all it holds
  // The last gap: the id the chain expected next (spot: previous u + 1; futures: previous u) and
  // what came (spot: U; futures: pu).
  uint64_t last_gap_expected = 0;
  uint64_t last_gap_got = 0;
};

class BinanceBookSync {
 public:
  // Allocates the book and the buffer (throws std::bad_alloc).
  BinanceBookSync(BookChain chain, std::size_t levels_per_side, std::size_t buffer_diffs = 256,
                  std::size_t buffer_levels = 1 << 16);
  ~BinanceBookSync();
  BinanceBookSync(const BinanceBookSync&) = delete;
  BinanceBookSync& operator=(const BinanceBookSync&) = delete;

  BookSyncOutcome on_diff(const DepthUpdate& d) noexcept;
  BookSyncOutcome on_snapshot(const DepthUpdate& s) noexcept;

  // Forget the book and the buffer (a feed reconnect: the stream restarts, a snapshot is needed).
  void reset() noexcept;

  BookSyncState state() const noexcept { return state_; }
  // The book may be read (marks, fills) only while this is true.
  bool valid() const noexcept { return state_ != BookSyncState::AwaitingSnapshot; }
  const OrderBook& book() const noexcept { return book_; }
  const BookSyncStats& stats() const noexcept { return stats_; }
  BookChain chain() const noexcept { return chain_; }
  // The u of the last diff applied, or the snapshot's L before any (0: none).
  uint64_t last_update_id() const noexcept { return last_id_; }
  std::size_t buffered_diffs() const noexcept;

 private:
  struct Buffer;
  BookSyncOutcome apply_after_snapshot(const DepthUpdate& d, bool from_buffer) noexcept;
  void apply_level(Side side, const PriceLevel& l) noexcept;
  void lose_book() noexcept;

  BookChain chain_;
  BookSyncState state_ = BookSyncState::AwaitingSnapshot;
  bool was_valid_ = false;  // a later return to a valid book is a resync
  uint64_t last_id_ = 0;
  OrderBook book_;
  std::unique_ptr<Buffer> buffer_;
  BookSyncStats stats_;
};

}  // namespace tp::feed
