// OrderBook: one symbol's L2 book (price levels with their total quantity), fixed capacity.
//
// It lives in core/ because two stages hold one: the feed thread builds it from the venue's
// snapshot and diffs (feed/book/), and the simulated venue walks its own replica of it
// (exec/sim_venue), and dependencies point from feed/ and exec/ to core/ only.
//
// Layout: per side, two parallel arrays sorted from the worst level to the best, so the best is the
// last element. Venue diffs change levels near the touch far more often than deep ones, and near the
// back an insert or erase moves few elements; the keys sit in their own array so a search touches
// nothing else. Bids are keyed by price and asks by minus the price, so "higher key = better" on
// both sides and one code path serves both.
//
// Capacity: `levels_per_side`, chosen at start-up (a Binance REST snapshot holds at most 5000).
// A new level on a full side evicts the worst level if it is better than that one, and is dropped
// otherwise; either way the levels near the touch stay exact and the caller counts it.
//
// Hot path: no allocation after construction, noexcept, single-threaded (one writer, no readers on
// other threads: a stage that needs the book keeps its own replica).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

#include "core/types/decimal.hpp"
#include "core/types/events.hpp"

namespace tp {

struct PriceLevel {
  Fixed px;
  Fixed qty;
  friend bool operator==(const PriceLevel&, const PriceLevel&) = default;
};

// What one apply() did. The last two mean the side was full (see the header comment).
enum class LevelChange : uint8_t {
  Inserted,          // a new price level
  Changed,           // an existing level got a new quantity
  Removed,           // qty 0 removed an existing level
  RemovedAbsent,     // qty 0 for a level not in the book: nothing to do (Binance documents it as normal)
  InsertedEvicting,  // inserted; the worst level of the full side was evicted to make room
  DroppedFull,       // not inserted: the side is full and this level is worse than all of them
};

class OrderBook {
 public:
  // Allocates both sides once (throws std::bad_alloc). levels_per_side >= 1.
  explicit OrderBook(std::size_t levels_per_side)
      : cap_(levels_per_side < 1 ? 1 : levels_per_side), store_(std::make_unique<int64_t[]>(4 * cap_)) {}

  OrderBook(const OrderBook&) = delete;
  OrderBook& operator=(const OrderBook&) = delete;

  std::size_t capacity() const noexcept { return cap_; }
  void clear() noexcept { n_[0] = n_[1] = 0; }

  // Sets the level at `px` on `side` (Buy = bids, Sell = asks) to `qty`; qty 0 removes it.
  // px must be > 0 (the caller validated it): keys are px and -px, which never overflow.
  LevelChange apply(Side side, Fixed px, Fixed qty) noexcept {
    const int s = static_cast<int>(side);
    int64_t* key = keys(s);
    int64_t* q = qtys(s);
    std::size_t& n = n_[s];
    const int64_t k = s == 0 ? px : -px;
    // First index whose key is >= k (the levels are ascending by key).
    const std::size_t i = find(key, n, k);
    const bool present = i < n && key[i] == k;
    if (qty == 0) {
      if (!present) return LevelChange::RemovedAbsent;
      std::memmove(key + i, key + i + 1, (n - i - 1) * sizeof(int64_t));
      std::memmove(q + i, q + i + 1, (n - i - 1) * sizeof(int64_t));
      --n;
      return LevelChange::Removed;
    }
    if (present) {
      q[i] = qty;
      return LevelChange::Changed;
    }
    if (n < cap_) {
      std::memmove(key + i + 1, key + i, (n - i) * sizeof(int64_t));
      std::memmove(q + i + 1, q + i, (n - i) * sizeof(int64_t));
      key[i] = k;
      q[i] = qty;
      ++n;
      return LevelChange::Inserted;
    }
    if (i == 0) return LevelChange::DroppedFull;  // worse than the worst level held
    // Full: the worst level (index 0) leaves, the levels below i shift down one place.
    std::memmove(key, key + 1, (i - 1) * sizeof(int64_t));
    std::memmove(q, q + 1, (i - 1) * sizeof(int64_t));
    key[i - 1] = k;
    q[i - 1] = qty;
    return LevelChange::InsertedEvicting;
  }

  std::size_t depth(Side side) const noexcept { return n_[static_cast<int>(side)]; }
  bool empty() const noexcept { return n_[0] == 0 && n_[1] == 0; }

  // Level k of a side counted from the touch (k = 0 is the best); k < depth(side).
  PriceLevel level(Side side, std::size_t k) const noexcept {
    const int s = static_cast<int>(side);
    const std::size_t i = n_[s] - 1 - k;
    const int64_t key = keys(s)[i];
    return {s == 0 ? key : -key, qtys(s)[i]};
  }

  // The touch: O(1). Only when depth(side) > 0.
  PriceLevel best(Side side) const noexcept { return level(side, 0); }
  PriceLevel best_bid() const noexcept { return best(Side::Buy); }
  PriceLevel best_ask() const noexcept { return best(Side::Sell); }
  bool has_top() const noexcept { return n_[0] > 0 && n_[1] > 0; }
  // A book whose best bid is at or above its best ask cannot be right (a missed update).
  bool crossed() const noexcept { return has_top() && best_bid().px >= best_ask().px; }

  // The quantity at `px` on `side`, 0 if there is no such level.
  Fixed qty_at(Side side, Fixed px) const noexcept {
    const int s = static_cast<int>(side);
    const int64_t k = s == 0 ? px : -px;
    const std::size_t i = find(keys(s), n_[s], k);
    return i < n_[s] && keys(s)[i] == k ? qtys(s)[i] : 0;
  }

 private:
  // Branch-light lower_bound. Most diffs touch levels near the back, but a binary search over a
  // few thousand keys is a handful of cache lines either way.
  static std::size_t find(const int64_t* key, std::size_t n, int64_t k) noexcept {
    return static_cast<std::size_t>(std::lower_bound(key, key + n, k) - key);
  }
  int64_t* keys(int s) noexcept { return store_.get() + static_cast<std::size_t>(2 * s) * cap_; }
  int64_t* qtys(int s) noexcept { return store_.get() + static_cast<std::size_t>(2 * s + 1) * cap_; }
  const int64_t* keys(int s) const noexcept { return store_.get() + static_cast<std::size_t>(2 * s) * cap_; }
  const int64_t* qtys(int s) const noexcept { return store_.get() + static_cast<std::size_t>(2 * s + 1) * cap_; }

  std::size_t cap_;
  std::unique_ptr<int64_t[]> store_;  // [bid keys | bid qtys | ask keys | ask qtys], cap_ each
  std::size_t n_[2] = {0, 0};         // levels held per side (index: Side)
};

}  // namespace tp
