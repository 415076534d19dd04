// OrderBook: one symbol's L2 book (price levels with their total quantity), fixed capacity.
//
// It lives in core/ because two stages hold one: the feed thread builds it from the venue's
// snapshot and diffs (feed/book/), and the simulated venue walks its own replica of it
// (exec/sim_venue), and dependencies point from feed/ and exec/ to core/ only.
//
// Layout: a price ladder near the touch, a sorted store for the rest. Prices of a symbol sit on a
// grid (the venue's tick size); the book learns it as the greatest common divisor of every price
// it has held (a price off the current grid refines it, and the ladder is rebuilt: a handful of
// times in a book's life, none once the tick is seen), so a price is an integer number of grid
// steps. Per side, the ladder is a window of W (65,536 by default) consecutive steps: a quantity
// per step (0 = no level, slot = step mod W, so moving the window moves no data) and an occupancy
// bitmap with a summary bit per bitmap word. An update inside the window is one division, one
// load and one store, plus a bit (set or clear) and its summary bit: no search at all, wherever
// the level is. That is the point: on real Binance BTCUSDT diffs (BENCHMARKS.md "Order book") half
// the updates land 64 (spot) or 193 (futures) levels or more behind the touch and 78% / 36% of
// them insert or remove a level, which is what made every sorted layout pay per update. The next
// best level after the best is removed, and the worst level when a full side must evict, come from
// the bitmap: a word, then the summary (one summary word covers 4,096 steps).
// The window sits so that the best level is 5/8 of the way up it (W/8 to 3/8 of W of headroom for
// the touch to improve, 5/8 of W below it for depth): at BTCUSDT's 0.01 tick and the default W
// that is 655 USD of price, against ~210 USD for a 1,000-level snapshot side. When the best level
// moves past 15/16 of the window, or below 1/4 of it, the window moves (in steps of 4,096 so the
// summary words stay whole): levels it leaves at the bottom go to the sorted store, levels it
// reaches there come out of it. Levels below the window, and a book whose levels are spread over
// more steps than the window, live in the sorted store, `BlockedBook` (blocked_book.hpp: O(16)
// moves per update, any price): correct everywhere, fast near the touch. Invariant: a side that
// holds a level holds its best level in the ladder, so best() is a plain load. Bids are keyed by
// steps and asks by minus the steps, so "higher key = better" on both sides and one code path
// serves both.
//
// Capacity: `levels_per_side`, chosen at start-up (a Binance REST snapshot holds at most 5000).
// A new level on a full side evicts the worst level if it is better than that one, and is dropped
// otherwise; either way the levels near the touch stay exact and the caller counts it. Memory: the
// ladder takes ~8.1 bytes per step of W per side (1 MB a book at the default W, all of it written
// at construction so no page faults in later), the sorted store ~60 bytes per level of capacity
// per side.
//
// level(side, k) walks the ladder's bitmap from the last rank it read (or the touch), then the
// sorted store, so reading the levels in order, either way, costs O(1) a level.
//
// Hot path: no allocation after construction, noexcept, single-threaded (one writer, no readers on
// other threads: a stage that needs the book keeps its own replica; level() updates a cursor).
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <numeric>

#include "core/book/blocked_book.hpp"
#include "core/book/price_level.hpp"

namespace tp {

class OrderBook {
 public:
  static constexpr std::size_t kDefaultLadderSteps = std::size_t{1} << 16;
  static constexpr std::size_t kMinLadderSteps = std::size_t{1} << 14;

  // Allocates both sides once (throws std::bad_alloc). levels_per_side >= 1. ladder_steps: the
  // window W, a power of two >= kMinLadderSteps (rounded up to one); tests use small ones to
  // exercise the window's moves and the sorted store.
  explicit OrderBook(std::size_t levels_per_side, std::size_t ladder_steps = kDefaultLadderSteps)
      : cap_(levels_per_side < 1 ? 1 : levels_per_side),
        w_(std::bit_ceil(ladder_steps < kMinLadderSteps ? kMinLadderSteps : ladder_steps)),
        far_(cap_) {
    for (Ladder& l : side_) {
      l.qty_mem.reset(l.qty = zeroed_array<Fixed>(w_));
      l.bits_mem.reset(l.bits = zeroed_array<uint64_t>(w_ / 64));
      l.sum_mem.reset(l.sum = zeroed_array<uint64_t>(w_ / kSummarySteps));
    }
  }

  OrderBook(const OrderBook&) = delete;
  OrderBook& operator=(const OrderBook&) = delete;

  std::size_t capacity() const noexcept { return cap_; }
  // The ladder's window, in grid steps (W).
  std::size_t ladder_steps() const noexcept { return w_; }

  // Empties both sides. The learned price grid stays (a symbol's tick does not change).
  void clear() noexcept {
    for (Ladder& l : side_) {
      for (std::size_t w = 0; w < w_ / 64; ++w) {
        for (uint64_t m = l.bits[w]; m != 0; m &= m - 1) l.qty[w * 64 + static_cast<unsigned>(std::countr_zero(m))] = 0;
        l.bits[w] = 0;
      }
      for (std::size_t s = 0; s < w_ / kSummarySteps; ++s) l.sum[s] = 0;
      l.n = 0;
      l.cursor_ok = false;
    }
    far_.clear();
  }

  // Sets the level at `px` on `side` (Buy = bids, Sell = asks) to `qty`; qty 0 removes it.
  // px must be > 0 (the caller validated it).
  LevelChange apply(Side side, Fixed px, Fixed qty) noexcept {
    const int s = static_cast<int>(side);
    Ladder& l = side_[s];
    l.cursor_ok = false;
    uint64_t steps = grid_steps(px);
    if (steps * static_cast<uint64_t>(grid_) != static_cast<uint64_t>(px)) [[unlikely]] {
      if (qty == 0) return LevelChange::RemovedAbsent;  // every level held is on the grid
      regrid(px);
      steps = grid_steps(px);
    }
    const int64_t k = s == 0 ? static_cast<int64_t>(steps) : -static_cast<int64_t>(steps);
    if (l.n == 0) {  // the side is empty (a side with levels has its best in the ladder)
      if (qty == 0) return LevelChange::RemovedAbsent;
      l.lo = target_lo(k);
      put(l, k, qty);
      set_best(l, k, px, qty);
      return LevelChange::Inserted;
    }
    if (k > l.best_key) {  // past the best: a new touch
      if (qty == 0) return LevelChange::RemovedAbsent;
      LevelChange r = LevelChange::Inserted;
      if (depth(side) == cap_) {
        evict_worst(s);  // worse than the best, so worse than k
        r = LevelChange::InsertedEvicting;
      }
      if (l.n == 0) {
        l.lo = target_lo(k);  // the evicted level was the only one
      } else if (offset(l, k) >= w_ - w_ / 16) {
        move_window_up(s, target_lo(k));
      }
      put(l, k, qty);
      set_best(l, k, px, qty);
      return r;
    }
    if (k >= l.lo) {  // in the window (k <= best < lo + W)
      Fixed& slot = l.qty[static_cast<uint64_t>(k) & (w_ - 1)];
      const bool had = slot != 0;
      const bool has = qty != 0;
      // The common case without a data-dependent branch (whether a level is inserted, changed or
      // removed is close to random on real diffs, and a mispredict costs more than all of it):
      // neither the best level nor an insert into a full side.
      const bool full = depth(side) == cap_;
      if (__builtin_expect(static_cast<int>(k == l.best_key) | (static_cast<int>(!had) & has & full), 0)) {
        return apply_rare_in_window(s, k, px, qty);
      }
      slot = qty;
      const int64_t kw = k >> 6;
      uint64_t& word = l.bits[static_cast<uint64_t>(kw) & (w_ / 64 - 1)];
      const uint64_t bit = uint64_t{1} << (k & 63);
      word = (word & ~bit) | (bit & (uint64_t{0} - has));
      uint64_t& sum = l.sum[static_cast<uint64_t>(kw >> 6) & (w_ / kSummarySteps - 1)];
      const uint64_t sbit = uint64_t{1} << (kw & 63);
      sum = (sum & ~sbit) | (sbit & (uint64_t{0} - (word != 0)));
      l.n = l.n + has - had;
      static constexpr LevelChange kOutcome[4] = {LevelChange::RemovedAbsent, LevelChange::Inserted,
                                                  LevelChange::Removed, LevelChange::Changed};
      return kOutcome[had * 2 + has];
    }
    // Below the window: the sorted store (which never reaches its own capacity: the ladder holds
    // at least the best level).
    if (qty == 0 || depth(side) < cap_) return far_.apply(side, px, qty);
    if (far_.qty_at(side, px) != 0) return far_.apply(side, px, qty);
    if (far_.depth(side) == 0 || px_worse(s, px, far_.level(side, far_.depth(side) - 1).px)) {
      return LevelChange::DroppedFull;  // worse than the worst level held
    }
    evict_worst(s);
    far_.apply(side, px, qty);
    return LevelChange::InsertedEvicting;
  }

  std::size_t depth(Side side) const noexcept { return side_[static_cast<int>(side)].n + far_.depth(side); }
  bool empty() const noexcept { return side_[0].n == 0 && side_[1].n == 0; }

  // Level k of a side counted from the touch (k = 0 is the best); k < depth(side).
  PriceLevel level(Side side, std::size_t k) const noexcept {
    const int s = static_cast<int>(side);
    const Ladder& l = side_[s];
    if (k == 0) return l.best;
    if (k >= l.n) return far_.level(side, k - l.n);
    int64_t key = l.best_key;
    std::size_t rank = 0;
    if (l.cursor_ok && (l.cursor_rank > k ? l.cursor_rank - k : k - l.cursor_rank) < k) {
      key = l.cursor_key;
      rank = l.cursor_rank;
    }
    for (; rank < k; ++rank) key = highest_below(l, key);
    for (; rank > k; --rank) key = lowest_from(l, key + 1);
    l.cursor_key = key;
    l.cursor_rank = rank;
    l.cursor_ok = true;
    return {px_of(s, key), l.qty[static_cast<uint64_t>(key) & (w_ - 1)]};
  }

  // The touch: O(1). Only when depth(side) > 0.
  PriceLevel best(Side side) const noexcept { return side_[static_cast<int>(side)].best; }
  PriceLevel best_bid() const noexcept { return side_[0].best; }
  PriceLevel best_ask() const noexcept { return side_[1].best; }
  bool has_top() const noexcept { return side_[0].n > 0 && side_[1].n > 0; }
  // A book whose best bid is at or above its best ask cannot be right (a missed update).
  bool crossed() const noexcept { return has_top() && best_bid().px >= best_ask().px; }

  // The quantity at `px` on `side`, 0 if there is no such level.
  Fixed qty_at(Side side, Fixed px) const noexcept {
    const int s = static_cast<int>(side);
    const Ladder& l = side_[s];
    const uint64_t steps = grid_steps(px);
    if (l.n == 0 || steps * static_cast<uint64_t>(grid_) != static_cast<uint64_t>(px)) return 0;
    const int64_t k = s == 0 ? static_cast<int64_t>(steps) : -static_cast<int64_t>(steps);
    if (k < l.lo) return far_.qty_at(side, px);
    return offset(l, k) < w_ ? l.qty[static_cast<uint64_t>(k) & (w_ - 1)] : 0;
  }

 private:
  // The window's low end moves in whole summary words: one summary word covers 64 bitmap words.
  static constexpr int64_t kSummarySteps = 64 * 64;
  static constexpr int64_t kNone = std::numeric_limits<int64_t>::min();

  struct Free {
    void operator()(void* p) const noexcept { std::free(p); }
  };
  struct Ladder {
    PriceLevel best{};         // the touch (valid when n > 0), first: best() reads offset 0
    Fixed* qty = nullptr;      // [W]: slot = key mod W; 0 = no level
    uint64_t* bits = nullptr;  // [W / 64]: bit (key mod 64) of word (key / 64 mod W/64): a level
    uint64_t* sum = nullptr;   // [W / 4096]: bit (word mod 64) of summary (word / 64 mod ...): word != 0
    int64_t lo = 0;            // the window is [lo, lo + W), lo a multiple of kSummarySteps
    std::size_t n = 0;         // levels in the ladder
    int64_t best_key = 0;      // valid when n > 0
    mutable int64_t cursor_key = 0;  // level(): the last rank read in the ladder
    mutable std::size_t cursor_rank = 0;
    mutable bool cursor_ok = false;
    std::unique_ptr<void, Free> qty_mem, bits_mem, sum_mem;  // own qty, bits, sum
  };

  // Zeroed and written here, so every page is mapped before the first update: moving the window
  // into steps never used before must not take a page fault on the hot path.
  template <class T>
  static T* zeroed_array(std::size_t n) {
    void* p = std::malloc(n * sizeof(T));
    if (p == nullptr) throw std::bad_alloc();
    std::memset(p, 0, n * sizeof(T));
    return static_cast<T*>(p);
  }

  // px / grid_ without a division instruction (an idiv was a third of an update): the multiply-
  // and-shift of Granlund and Montgomery (1994, theorem 4.2) with N = 63, exact for every
  // 0 <= px < 2^63: m = ceil(2^(63 + l) / grid_), l = ceil(log2 grid_), so m < 2^64. Before a
  // grid is known m is 0: every price is then off the grid.
  uint64_t grid_steps(Fixed px) const noexcept {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(static_cast<uint64_t>(px)) * grid_magic_) >>
                                 grid_shift_);
  }
  void set_grid(Fixed g) noexcept {
    grid_ = g;
    const unsigned l = static_cast<unsigned>(std::bit_width(static_cast<uint64_t>(g) - 1));  // ceil(log2 g)
    const unsigned __int128 p = static_cast<unsigned __int128>(1) << (63 + l);
    grid_magic_ = static_cast<uint64_t>((p + static_cast<uint64_t>(g) - 1) / static_cast<uint64_t>(g));
    grid_shift_ = 63 + l;
  }
  int64_t key(int s, Fixed px) const noexcept {
    const auto q = static_cast<int64_t>(grid_steps(px));
    return s == 0 ? q : -q;
  }
  Fixed px_of(int s, int64_t key) const noexcept { return (s == 0 ? key : -key) * grid_; }
  static bool px_worse(int s, Fixed a, Fixed b) noexcept { return s == 0 ? a < b : a > b; }
  // key - lo, exact for any two keys of one side (their difference is below 2^63 in magnitude).
  static uint64_t offset(const Ladder& l, int64_t k) noexcept {
    return static_cast<uint64_t>(k) - static_cast<uint64_t>(l.lo);
  }
  // The window's low end that puts key k 5/8 of the way up it (rounded down to kSummarySteps).
  int64_t target_lo(int64_t k) const noexcept {
    const __int128 lo = static_cast<__int128>(k) - static_cast<__int128>(w_ / 8 * 5);
    if (lo < static_cast<__int128>(kNone)) return kNone;  // kNone is a multiple of kSummarySteps
    return static_cast<int64_t>(lo) & ~(kSummarySteps - 1);
  }

  void set_best(Ladder& l, int64_t k, Fixed px, Fixed qty) noexcept {
    l.best_key = k;
    l.best = {px, qty};
  }

  void set_bit(Ladder& l, int64_t k) noexcept {
    const int64_t kw = k >> 6;
    l.bits[static_cast<uint64_t>(kw) & (w_ / 64 - 1)] |= uint64_t{1} << (k & 63);
    l.sum[static_cast<uint64_t>(kw >> 6) & (w_ / kSummarySteps - 1)] |= uint64_t{1} << (kw & 63);
  }
  void clear_bit(Ladder& l, int64_t k) noexcept {
    const int64_t kw = k >> 6;
    uint64_t& w = l.bits[static_cast<uint64_t>(kw) & (w_ / 64 - 1)];
    w &= ~(uint64_t{1} << (k & 63));
    l.sum[static_cast<uint64_t>(kw >> 6) & (w_ / kSummarySteps - 1)] &= ~(uint64_t{w == 0} << (kw & 63));
  }
  void put(Ladder& l, int64_t k, Fixed qty) noexcept {
    l.qty[static_cast<uint64_t>(k) & (w_ - 1)] = qty;
    set_bit(l, k);
    ++l.n;
  }
  Fixed take(Ladder& l, int64_t k) noexcept {
    Fixed& slot = l.qty[static_cast<uint64_t>(k) & (w_ - 1)];
    const Fixed q = slot;
    slot = 0;
    clear_bit(l, k);
    --l.n;
    return q;
  }

  // The greatest key held in [lo, k), or kNone.
  int64_t highest_below(const Ladder& l, int64_t k) const noexcept {
    if (k <= l.lo) return kNone;
    const int64_t top = k - 1;
    int64_t kw = top >> 6;
    const uint64_t m = l.bits[static_cast<uint64_t>(kw) & (w_ / 64 - 1)] & (~uint64_t{0} >> (63 - (top & 63)));
    if (m != 0) return (kw << 6) + 63 - std::countl_zero(m);
    const int64_t lo_w = l.lo >> 6;  // a multiple of 64: summary words lie wholly inside the window
    for (--kw; kw >= lo_w;) {
      const int64_t sw = kw >> 6;
      const uint64_t sm = l.sum[static_cast<uint64_t>(sw) & (w_ / kSummarySteps - 1)] & (~uint64_t{0} >> (63 - (kw & 63)));
      if (sm != 0) {
        const int64_t w = (sw << 6) + 63 - std::countl_zero(sm);
        return (w << 6) + 63 - std::countl_zero(l.bits[static_cast<uint64_t>(w) & (w_ / 64 - 1)]);
      }
      kw = (sw << 6) - 1;
    }
    return kNone;
  }
  // The least key held in [k, lo + W), or kNone. k >= lo.
  int64_t lowest_from(const Ladder& l, int64_t k) const noexcept {
    const int64_t end_w = (l.lo >> 6) + static_cast<int64_t>(w_ / 64);
    int64_t kw = k >> 6;
    if (kw >= end_w) return kNone;
    const uint64_t m = l.bits[static_cast<uint64_t>(kw) & (w_ / 64 - 1)] & (~uint64_t{0} << (k & 63));
    if (m != 0) return (kw << 6) + std::countr_zero(m);
    for (++kw; kw < end_w;) {
      const int64_t sw = kw >> 6;
      const uint64_t sm = l.sum[static_cast<uint64_t>(sw) & (w_ / kSummarySteps - 1)] & (~uint64_t{0} << (kw & 63));
      if (sm != 0) {
        const int64_t w = (sw << 6) + std::countr_zero(sm);
        return (w << 6) + std::countr_zero(l.bits[static_cast<uint64_t>(w) & (w_ / 64 - 1)]);
      }
      kw = (sw + 1) << 6;
    }
    return kNone;
  }

  // In the window: an update of the best level, or an insert into a full side.
  LevelChange apply_rare_in_window(int s, int64_t k, Fixed px, Fixed qty) noexcept {
    Ladder& l = side_[s];
    const Side side = static_cast<Side>(s);
    Fixed& slot = l.qty[static_cast<uint64_t>(k) & (w_ - 1)];
    if (slot != 0) {
      if (qty != 0) {
        slot = qty;
        if (k == l.best_key) l.best = {px, qty};
        return LevelChange::Changed;
      }
      take(l, k);
      if (k == l.best_key) best_removed(s);
      return LevelChange::Removed;
    }
    if (qty == 0) return LevelChange::RemovedAbsent;
    LevelChange r = LevelChange::Inserted;
    if (depth(side) == cap_) {
      if (far_.depth(side) == 0 && k < lowest_from(l, l.lo)) return LevelChange::DroppedFull;
      evict_worst(s);  // from the store, or a ladder level below k (never the best: k < best)
      r = LevelChange::InsertedEvicting;
    }
    put(l, k, qty);
    return r;
  }

  // The best level left the ladder: the next one below it, or the store's best (the window moves
  // down to it); a best level low in the window moves the window down.
  void best_removed(int s) noexcept {
    Ladder& l = side_[s];
    const int64_t next = highest_below(l, l.best_key);
    if (next == kNone) {
      const Side side = static_cast<Side>(s);
      if (far_.depth(side) == 0) return;  // the side is empty
      l.lo = target_lo(key(s, far_.best(side).px));
      pull_from_store(s);
      return;
    }
    set_best(l, next, px_of(s, next), l.qty[static_cast<uint64_t>(next) & (w_ - 1)]);
    if (offset(l, next) < w_ / 4) {
      l.lo = target_lo(next);
      pull_from_store(s);
    }
  }

  // Moves the store's levels at or above the window's low end into the ladder (they are its worst
  // levels, or all of them when the ladder is empty).
  void pull_from_store(int s) noexcept {
    Ladder& l = side_[s];
    const Side side = static_cast<Side>(s);
    while (far_.depth(side) > 0) {
      const PriceLevel b = far_.best(side);
      const int64_t k = key(s, b.px);
      if (k < l.lo) break;
      far_.apply(side, b.px, 0);
      if (l.n == 0) set_best(l, k, b.px, b.qty);
      put(l, k, b.qty);
    }
  }

  // Raises the window's low end to `lo`: the ladder's levels below it go to the store, worst first
  // (each one better than every level there, so the store appends it without a search).
  void move_window_up(int s, int64_t lo) noexcept {
    Ladder& l = side_[s];
    for (int64_t k = lowest_from(l, l.lo); k != kNone && k < lo; k = lowest_from(l, k + 1)) {
      far_.apply(static_cast<Side>(s), px_of(s, k), take(l, k));
    }
    l.lo = lo;
  }

  // A full side makes room: its worst level leaves (from the store when it holds any).
  void evict_worst(int s) noexcept {
    Ladder& l = side_[s];
    const Side side = static_cast<Side>(s);
    const std::size_t fd = far_.depth(side);
    if (fd > 0) {
      far_.apply(side, far_.level(side, fd - 1).px, 0);
    } else {
      take(l, lowest_from(l, l.lo));
    }
  }

  // A price off the grid: the grid becomes the gcd of it and the old grid, and both ladders are
  // rebuilt on it (every level through the store, which keeps prices, not steps).
  void regrid(Fixed px) noexcept {
    for (int s = 0; s < 2; ++s) {
      side_[s].cursor_ok = false;
      move_window_up(s, std::numeric_limits<int64_t>::max());  // every level, to the store
    }
    set_grid(std::gcd(grid_, px));
    for (int s = 0; s < 2; ++s) {
      Ladder& l = side_[s];
      const Side side = static_cast<Side>(s);
      if (far_.depth(side) == 0) continue;
      l.lo = target_lo(key(s, far_.best(side).px));
      pull_from_store(s);
    }
  }

  std::size_t cap_;
  std::size_t w_;      // W: steps in the window, a power of two >= kMinLadderSteps
  Fixed grid_ = 0;     // the price step: gcd of every price held since construction (0: none yet)
  uint64_t grid_magic_ = 0;  // grid_steps(): m (0 while grid_ is 0)
  unsigned grid_shift_ = 64;
  BlockedBook far_;    // the levels below each side's window
  Ladder side_[2];     // index: Side
};

}  // namespace tp
