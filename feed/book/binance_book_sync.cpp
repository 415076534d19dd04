#include "feed/book/binance_book_sync.hpp"

#include <algorithm>
#include <cstring>

namespace tp::feed {

// Diffs awaiting a snapshot, in arrival order: headers in one array, their levels packed in another.
// Both are used front to back; discarding the oldest diffs moves the rest to the front (rare: only
// when a snapshot is very late), so the common path is two appends.
struct BinanceBookSync::Buffer {
  struct Entry {
    uint64_t first_id, last_id, prev_last_id;
    int64_t exch_ts_ns, recv_ts_ns;
    uint32_t level_offset, bids, asks;
    bool has_prev_last_id;
  };
  std::unique_ptr<Entry[]> entries;
  std::unique_ptr<PriceLevel[]> levels;
  std::size_t entry_cap, level_cap;
  std::size_t n = 0, used = 0;

  Buffer(std::size_t diffs, std::size_t level_count)
      : entries(std::make_unique<Entry[]>(std::max<std::size_t>(diffs, 1))),
        levels(std::make_unique<PriceLevel[]>(std::max<std::size_t>(level_count, 1))),
        entry_cap(std::max<std::size_t>(diffs, 1)),
        level_cap(std::max<std::size_t>(level_count, 1)) {}

  void clear() noexcept { n = used = 0; }

  // Drops the first k entries.
  void drop_front(std::size_t k) noexcept {
    if (k >= n) {
      clear();
      return;
    }
    const std::size_t off = entries[k].level_offset;
    std::memmove(levels.get(), levels.get() + off, (used - off) * sizeof(PriceLevel));
    std::memmove(entries.get(), entries.get() + k, (n - k) * sizeof(Entry));
    n -= k;
    used -= off;
    for (std::size_t i = 0; i < n; ++i) entries[i].level_offset -= static_cast<uint32_t>(off);
  }

  // Returns how many older entries it discarded to make room (and the diff itself when it alone is
  // larger than the whole buffer: then the count includes it, and nothing is stored).
  std::size_t push(const DepthUpdate& d) noexcept {
    const std::size_t need = d.bids.size() + d.asks.size();
    if (need > level_cap) {
      const std::size_t lost = n + 1;
      clear();
      return lost;
    }
    // Drop the oldest entries until the diff fits (both in entries and in levels).
    auto levels_after = [this](std::size_t k) noexcept { return k < n ? used - entries[k].level_offset : 0; };
    std::size_t k = 0;
    while (k < n && (n - k >= entry_cap || level_cap - levels_after(k) < need)) ++k;
    drop_front(k);
    Entry& e = entries[n++];
    e = Entry{d.first_id, d.last_id, d.prev_last_id, d.exch_ts_ns, d.recv_ts_ns,
              static_cast<uint32_t>(used), static_cast<uint32_t>(d.bids.size()),
              static_cast<uint32_t>(d.asks.size()), d.has_prev_last_id};
    std::copy(d.bids.begin(), d.bids.end(), levels.get() + used);
    used += d.bids.size();
    std::copy(d.asks.begin(), d.asks.end(), levels.get() + used);
    used += d.asks.size();
    return k;
  }

  DepthUpdate view(std::size_t i, SymbolId sym) const noexcept {
    const Entry& e = entries[i];
    DepthUpdate d;
    d.bids = {levels.get() + e.level_offset, e.bids};
    d.asks = {levels.get() + e.level_offset + e.bids, e.asks};
    d.first_id = e.first_id;
    d.last_id = e.last_id;
    d.prev_last_id = e.prev_last_id;
    d.has_prev_last_id = e.has_prev_last_id;
    d.exch_ts_ns = e.exch_ts_ns;
    d.recv_ts_ns = e.recv_ts_ns;
    d.symbol = sym;
    return d;
  }
};

BinanceBookSync::BinanceBookSync(BookChain chain, std::size_t levels_per_side, std::size_t buffer_diffs,
                                 std::size_t buffer_levels)
    : chain_(chain), book_(levels_per_side), buffer_(std::make_unique<Buffer>(buffer_diffs, buffer_levels)) {}

BinanceBookSync::~BinanceBookSync() = default;

std::size_t BinanceBookSync::buffered_diffs() const noexcept { return buffer_->n; }

void BinanceBookSync::reset() noexcept {
  book_.clear();
  buffer_->clear();
  state_ = BookSyncState::AwaitingSnapshot;
  last_id_ = 0;
}

void BinanceBookSync::lose_book() noexcept {
  book_.clear();
  buffer_->clear();
  state_ = BookSyncState::AwaitingSnapshot;
}

void BinanceBookSync::apply_level(Side side, const PriceLevel& l) noexcept {
  const LevelChange c = book_.apply(side, l.px, l.qty);
  if (c == LevelChange::InsertedEvicting) ++stats_.levels_evicted;
  if (c == LevelChange::DroppedFull) ++stats_.levels_dropped_full;
}

BookSyncOutcome BinanceBookSync::on_diff(const DepthUpdate& d) noexcept {
  if (chain_ == BookChain::Auto) chain_ = d.has_prev_last_id ? BookChain::Futures : BookChain::Spot;
  if (state_ == BookSyncState::AwaitingSnapshot) {
    // Buffered diffs that do not chain cannot all be joined to one snapshot: keep the newest run.
    Buffer& b = *buffer_;
    if (b.n > 0) {
      const Buffer::Entry& last = b.entries[b.n - 1];
      if (d.last_id <= last.last_id) {
        ++stats_.diffs_duplicate;
        return BookSyncOutcome::Duplicate;
      }
      const bool chains = chain_ == BookChain::Spot ? d.first_id == last.last_id + 1
                                                    : d.has_prev_last_id && d.prev_last_id == last.last_id;
      if (!chains) {
        ++stats_.gaps;
        stats_.last_gap_expected = chain_ == BookChain::Spot ? last.last_id + 1 : last.last_id;
        stats_.last_gap_got = chain_ == BookChain::Spot || !d.has_prev_last_id ? d.first_id : d.prev_last_id;
        stats_.diffs_discarded += b.n;
        b.clear();
      }
    }
    stats_.diffs_discarded += b.push(d);
    return BookSyncOutcome::Buffered;
  }
  return apply_after_snapshot(d, false);
}

// The book is valid (a snapshot and maybe diffs since): steps 3 to 5 of the procedure.
// `from_buffer`: d is a buffered diff being replayed after a snapshot (on a gap the caller keeps it
// and the rest of the buffer); otherwise d is new and a gap buffers it.
BookSyncOutcome BinanceBookSync::apply_after_snapshot(const DepthUpdate& d, bool from_buffer) noexcept {
  if (d.last_id <= last_id_) {
    ++stats_.diffs_duplicate;
    return BookSyncOutcome::Duplicate;
  }
  bool follows;
  uint64_t expected, got;
  if (state_ == BookSyncState::AwaitingFirstDiff) {
    // Straddle the snapshot's L (= last_id_): spot U <= L + 1 <= u, futures U <= L <= u.
    // u > L holds here (the duplicate check above), so only U needs checking.
    expected = chain_ == BookChain::Spot ? last_id_ + 1 : last_id_;
    got = d.first_id;
    follows = d.first_id <= expected;
  } else if (chain_ == BookChain::Spot) {
    expected = last_id_ + 1;
    got = d.first_id;
    follows = d.first_id == expected;
  } else {
    expected = last_id_;
    got = d.has_prev_last_id ? d.prev_last_id : d.first_id;
    follows = d.has_prev_last_id && d.prev_last_id == expected;
  }
  if (!follows) {
    ++stats_.gaps;
    stats_.last_gap_expected = expected;
    stats_.last_gap_got = got;
    book_.clear();
    state_ = BookSyncState::AwaitingSnapshot;
    if (!from_buffer) {
      buffer_->clear();
      stats_.diffs_discarded += buffer_->push(d);  // the first diff of the stream to join next
    }
    return BookSyncOutcome::Gap;
  }
  for (const PriceLevel& l : d.bids) apply_level(Side::Buy, l);
  for (const PriceLevel& l : d.asks) apply_level(Side::Sell, l);
  last_id_ = d.last_id;
  state_ = BookSyncState::Synced;
  ++stats_.diffs_applied;
  if (book_.crossed()) {
    ++stats_.crossed;
    book_.clear();
    state_ = BookSyncState::AwaitingSnapshot;
    if (!from_buffer) buffer_->clear();
    return BookSyncOutcome::Crossed;
  }
  return BookSyncOutcome::Applied;
}

BookSyncOutcome BinanceBookSync::on_snapshot(const DepthUpdate& s) noexcept {
  if (state_ != BookSyncState::AwaitingSnapshot) {
    ++stats_.snapshots_ignored;
    return BookSyncOutcome::SnapshotIgnored;
  }
  const uint64_t L = s.last_id;
  Buffer& b = *buffer_;
  // The buffer holds one unbroken run (on_diff keeps it so). If it starts after the straddle point
  // and reaches past L, diffs between the snapshot and the buffer are missing.
  if (b.n > 0) {
    const uint64_t first = b.entries[0].first_id;
    const bool starts_late = chain_ == BookChain::Spot ? first > L + 1 : first > L;
    if (starts_late && b.entries[b.n - 1].last_id > L) {
      ++stats_.snapshots_too_old;
      return BookSyncOutcome::SnapshotTooOld;
    }
  }
  book_.clear();
  // Snapshots list each side best first; loading worst first appends at the back of each array.
  for (std::size_t i = s.bids.size(); i-- > 0;) {
    if (s.bids[i].qty != 0) apply_level(Side::Buy, s.bids[i]);
  }
  for (std::size_t i = s.asks.size(); i-- > 0;) {
    if (s.asks[i].qty != 0) apply_level(Side::Sell, s.asks[i]);
  }
  ++stats_.snapshots_loaded;
  last_id_ = L;
  state_ = BookSyncState::AwaitingFirstDiff;
  if (book_.crossed()) {
    ++stats_.crossed;
    lose_book();
    return BookSyncOutcome::Crossed;
  }
  // Replay what was buffered, oldest first.
  for (std::size_t i = 0; i < b.n; ++i) {
    const BookSyncOutcome r = apply_after_snapshot(b.view(i, s.symbol), true);
    if (r == BookSyncOutcome::Gap) {
      b.drop_front(i);  // that diff and the ones after it wait for the next snapshot
      return r;
    }
    if (r == BookSyncOutcome::Crossed) {
      b.clear();
      return r;
    }
  }
  b.clear();
  if (was_valid_) ++stats_.resyncs;
  was_valid_ = true;
  return BookSyncOutcome::SnapshotLoaded;
}

}  // namespace tp::feed
