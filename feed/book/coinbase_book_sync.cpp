#include "feed/book/coinbase_book_sync.hpp"

namespace tp::feed {

CoinbaseBookSync::CoinbaseBookSync(std::size_t levels_per_side) : book_(levels_per_side) {}

void CoinbaseBookSync::reset() noexcept { lose_book(); }

void CoinbaseBookSync::lose_book() noexcept {
  book_.clear();
  state_ = BookSyncState::AwaitingSnapshot;
}

void CoinbaseBookSync::apply_level(Side side, const PriceLevel& l) noexcept {
  const LevelChange c = book_.apply(side, l.px, l.qty);
  if (c == LevelChange::InsertedEvicting) ++stats_.levels_evicted;
  if (c == LevelChange::DroppedFull) ++stats_.levels_dropped_full;
}

BookSyncOutcome CoinbaseBookSync::on_diff(const DepthUpdate& d) noexcept {
  if (state_ == BookSyncState::AwaitingSnapshot) {
    ++stats_.diffs_discarded;  // not kept: only a snapshot can give the book back
    return BookSyncOutcome::Buffered;
  }
  for (const PriceLevel& l : d.bids) apply_level(Side::Buy, l);
  for (const PriceLevel& l : d.asks) apply_level(Side::Sell, l);
  ++stats_.diffs_applied;
  state_ = BookSyncState::Synced;
  if (book_.crossed()) {
    ++stats_.crossed;
    lose_book();
    return BookSyncOutcome::Crossed;
  }
  return BookSyncOutcome::Applied;
}

BookSyncOutcome CoinbaseBookSync::on_snapshot(const DepthUpdate& s) noexcept {
  const bool lost = state_ == BookSyncState::AwaitingSnapshot;
  book_.clear();
  // Snapshots list each side best first; loading worst first appends at the back of each array.
  for (std::size_t i = s.bids.size(); i-- > 0;) {
    if (s.bids[i].qty != 0) apply_level(Side::Buy, s.bids[i]);
  }
  for (std::size_t i = s.asks.size(); i-- > 0;) {
    if (s.asks[i].qty != 0) apply_level(Side::Sell, s.asks[i]);
  }
  ++stats_.snapshots_loaded;
  if (book_.crossed()) {
    ++stats_.crossed;
    lose_book();
    return BookSyncOutcome::Crossed;
  }
  state_ = BookSyncState::AwaitingFirstDiff;
  if (lost && was_valid_) ++stats_.resyncs;
  was_valid_ = true;
  return BookSyncOutcome::SnapshotLoaded;
}

}  // namespace tp::feed
