// OverlapFilter: while a live feed switches connections make-before-break (SPEC §10.7), the old and
// the new connection deliver the same messages for a moment. Binance numbers them per symbol - a
// book top's update id `u`, a trade's id `t` (an aggTrade's `a`) - so an event whose number is not
// above the last one seen for its symbol is one already processed, and is dropped (counted). Applied
// whenever the configuration has a [live] table, in live mode and in the replay of its recording
// alike, so both make the same decisions. Fixed memory (two numbers per symbol); noexcept.
#pragma once

#include <cstdint>

#include "core/types/counters.hpp"
#include <vector>

#include "core/types/events.hpp"

namespace tp::feed {

class OverlapFilter {
 public:
  explicit OverlapFilter(std::size_t symbols) : last_book_(symbols, 0), last_trade_(symbols, 0) {}

  // False when `ev` repeats (or precedes) what its symbol has already had.
  bool fresh(const MarketEvent& ev) noexcept {
    if (ev.symbol_id >= last_book_.size()) return true;  // kNoSymbol: clock events
    uint64_t& last = ev.kind == EventKind::BookTop ? last_book_[ev.symbol_id] : last_trade_[ev.symbol_id];
    const uint64_t n = ev.kind == EventKind::BookTop ? ev.book.venue_seq : ev.kind == EventKind::Trade ? ev.trade.trade_id : 0;
    if (n == 0) return true;  // not numbered: nothing to compare
    if (n <= last) {
      ++dropped_;
      return false;
    }
    last = n;
    return true;
  }
  uint64_t dropped() const noexcept { return dropped_; }

 private:
  std::vector<uint64_t> last_book_;
  std::vector<uint64_t> last_trade_;
  Counter dropped_ = 0;  // read by /metrics while the feed runs
};

}  // namespace tp::feed
