// BlockedBook: an L2 book (price levels with their total quantity) kept as sorted blocks, fixed
// capacity. It is the store OrderBook (order_book.hpp) keeps the levels beyond its price ladder in
// (far from the touch, or not on the price grid), and a complete book on its own: it keeps any
// prices, on any grid, in O(16) moves per update. Tested and benchmarked on its own too
// (BENCHMARKS.md "Order book": it was OrderBook's whole layout before the ladder).
//
// Where updates land (real Binance BTCUSDT diffs, tests/data/binance/, see BENCHMARKS.md "Order
// book"): not at the touch. A side holds 1,000-2,300 levels, and the distance of an update from the
// touch (levels better than it) has median 64 / p90 607 on spot and median 193 / p90 1,143 on USD-M
// futures; 40% (spot) / 20% (futures) of updates insert a level and 38% / 16% remove one. So a layout
// whose insert or remove costs the distance from the touch (one sorted array per side, the previous
// layout: memmove of ~200-400 elements of two arrays, after a ~11-step binary search) pays for the
// whole depth on most updates.
//
// Layout: per side, the levels are cut into blocks of at most kBlock (16) consecutive levels, each
// block holding its keys and then its quantities, sorted from the worst level to the best (keys
// ascending); unused key slots hold INT64_MAX. A directory lists the blocks from the worst to the
// best (the best level is the last one of the last block) with, per block, its greatest key, its
// block number and its level count; directory keys past the last block hold INT64_MAX too. So an
// insert or remove moves at most the rest of one block (< 16 keys and quantities) wherever the
// level is, plus, when a block splits or empties, the directory tail (a few hundred bytes at most
// for these books). A lookup counts the directory keys below the key in a lane-aligned window of
// kWindow (32) slots, the window that ends at the touch first (it covers roughly the 300-500 best
// levels, so p50-p75 of the updates above need one window; deeper ones step a window at a time),
// then counts the block's 16 keys below it (and tests them for equality in the same pass): both
// are fixed-length, branch-free SIMD compare-and-add loops over 4-key lanes, with no
// data-dependent branch to mispredict and no dependent load chain like a binary search's. A level
// past the best one (a snapshot loaded worst level first, a new touch) skips the search. A full
// block splits in two halves (or, when the new level goes past the best level, starts a block of
// its own, so a snapshot load fills its blocks); after a remove, a block merges with a neighbour
// when the two hold kBlock / 2 levels or fewer, so any two neighbours hold more than kBlock / 2
// levels, which bounds the block pool. Every write to keys, quantities and directory keys is a
// whole aligned 4-key lane (see Lane below). Measured alternatives (BENCHMARKS.md "Order book"):
// blocks of 8, 32 and 64 levels and a 16-slot window were within a few percent or slower.
// Bids are keyed by price and asks by minus the price, so "higher key = better" on both sides and
// one code path serves both. The best level of each side is cached, so best() is a plain load.
// level(side, k) walks the directory's counts from the last position it read (or the nearer end),
// so reading the levels in order, either way, costs O(1) a level.
//
// Capacity: `levels_per_side`, chosen at start-up (a Binance REST snapshot holds at most 5000).
// A new level on a full side evicts the worst level if it is better than that one, and is dropped
// otherwise; either way the levels near the touch stay exact and the caller counts it. Memory:
// the block pool is sized for the worst fill the merge rule allows (blocks just over half full),
// about 60 bytes per level of capacity per side (the previous flat arrays took 16: 300 KB per side
// at the default 5000); pages of blocks never used are not touched.
//
// Hot path: no allocation after construction, noexcept, single-threaded (one writer, no readers on
// other threads: a stage that needs the book keeps its own replica; level() updates a cursor).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <new>

#include "core/book/price_level.hpp"

namespace tp {

class BlockedBook {
 public:
  // Allocates both sides once (throws std::bad_alloc). levels_per_side >= 1.
  explicit BlockedBook(std::size_t levels_per_side)
      : cap_(levels_per_side < 1 ? 1 : levels_per_side),
        max_blocks_(pool_blocks(cap_)),
        dir_slots_((max_blocks_ < kWindow ? std::size_t{kWindow} : std::size_t{max_blocks_} + 7) & ~std::size_t{7}) {
    const std::size_t block_bytes = std::size_t{max_blocks_} * kBlockWords * sizeof(int64_t);
    const std::size_t dir_bytes =
        dir_slots_ * (sizeof(int64_t) + 2 * sizeof(uint32_t)) + std::size_t{max_blocks_} * sizeof(uint32_t);
    const std::size_t side_bytes = (block_bytes + dir_bytes + 63) & ~std::size_t{63};
    mem_.reset(static_cast<std::byte*>(::operator new[](2 * side_bytes, std::align_val_t{64})));
    for (int s = 0; s < 2; ++s) {
      std::byte* p = mem_.get() + static_cast<std::size_t>(s) * side_bytes;
      SideData& d = side_[s];
      d.blocks = reinterpret_cast<int64_t*>(p);
      d.dmax = reinterpret_cast<int64_t*>(p + block_bytes);
      d.did = reinterpret_cast<uint32_t*>(d.dmax + dir_slots_);
      d.dcnt = d.did + dir_slots_;
      d.free = d.dcnt + dir_slots_;
      lane_fill(d.dmax, 0, static_cast<uint32_t>(dir_slots_ / 4), kPad);
    }
    clear();
  }

  BlockedBook(const BlockedBook&) = delete;
  BlockedBook& operator=(const BlockedBook&) = delete;

  std::size_t capacity() const noexcept { return cap_; }
  void clear() noexcept {
    for (SideData& d : side_) {
      lane_fill(d.dmax, 0, (d.nb + 3) / 4, kPad);
      d.nb = 0;
      d.n = 0;
      d.cursor_ok = false;
      // Lowest block numbers on top: a book that stays small touches few pages.
      d.nfree = max_blocks_;
      for (uint32_t b = 0; b < max_blocks_; ++b) d.free[b] = max_blocks_ - 1 - b;
    }
  }

  // Sets the level at `px` on `side` (Buy = bids, Sell = asks) to `qty`; qty 0 removes it.
  // px must be > 0 (the caller validated it): keys are px and -px, which never overflow.
  LevelChange apply(Side side, Fixed px, Fixed qty) noexcept {
    const int s = static_cast<int>(side);
    SideData& d = side_[s];
    const int64_t k = s == 0 ? px : -px;
    if (d.nb == 0) {
      if (qty == 0) return LevelChange::RemovedAbsent;
      append_block(d, 0, k, qty);  // cap_ >= 1: an empty side is never full
      refresh_best(d, s);
      return LevelChange::Inserted;
    }
    uint32_t j, cnt, pos;
    int64_t* blk;
    bool present = false;
    if (k > (s == 0 ? d.best.px : -d.best.px)) {
      // Past the best level (a snapshot loaded worst first, a new touch): no search.
      j = d.nb - 1;
      blk = block(d, d.did[j]);
      cnt = pos = d.dcnt[j];
    } else {
      j = find_block(d.dmax, d.nb, k);
      blk = block(d, d.did[j]);
      cnt = d.dcnt[j];
      // First slot of the block whose key is >= k (unused slots hold kPad and never count).
      bool eq;
      pos = block_pos_eq(blk, k, eq);
      present = eq && pos < cnt;
    }
    if (qty == 0) {
      if (!present) return LevelChange::RemovedAbsent;
      erase_at(d, j, pos);
      refresh_best(d, s);
      return LevelChange::Removed;
    }
    if (present) {
      lane_set(blk + kBlock, pos, qty);
      if (j + 1 == d.nb && pos + 1 == cnt) d.best.qty = qty;
      return LevelChange::Changed;
    }
    if (d.n < cap_) {
      insert_at(d, j, pos, k, qty);
      refresh_best(d, s);
      return LevelChange::Inserted;
    }
    if (j == 0 && pos == 0) return LevelChange::DroppedFull;  // worse than the worst level held
    // Full: the worst level (first of the first block) leaves, then the level goes in as usual.
    erase_at(d, 0, 0);
    if (d.nb == 0) {
      append_block(d, 0, k, qty);
    } else {
      const uint32_t j2 = find_block(d.dmax, d.nb, k);
      insert_at(d, j2, block_pos(block(d, d.did[j2]), k), k, qty);
    }
    refresh_best(d, s);
    return LevelChange::InsertedEvicting;
  }

  std::size_t depth(Side side) const noexcept { return side_[static_cast<int>(side)].n; }
  bool empty() const noexcept { return side_[0].n == 0 && side_[1].n == 0; }

  // Level k of a side counted from the touch (k = 0 is the best); k < depth(side).
  PriceLevel level(Side side, std::size_t k) const noexcept {
    const int s = static_cast<int>(side);
    const SideData& d = side_[s];
    if (k == 0) return d.best;
    // Block j holds the levels ranked [base, base + dcnt[j]) from the touch.
    uint32_t j;
    std::size_t base;
    if (d.cursor_ok) {
      j = d.cursor_j;
      base = d.cursor_base;
    } else if (k < d.n / 2) {
      j = d.nb - 1;
      base = 0;
    } else {
      j = 0;
      base = d.n - d.dcnt[0];
    }
    while (k < base) base -= d.dcnt[++j];
    while (k >= base + d.dcnt[j]) base += d.dcnt[j--];
    d.cursor_j = j;
    d.cursor_base = base;
    d.cursor_ok = true;
    const std::size_t i = d.dcnt[j] - 1 - (k - base);
    const int64_t* blk = block(d, d.did[j]);
    return {s == 0 ? blk[i] : -blk[i], blk[kBlock + i]};
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
    const SideData& d = side_[s];
    if (d.nb == 0) return 0;
    const int64_t k = s == 0 ? px : -px;
    const uint32_t j = find_block(d.dmax, d.nb, k);
    const int64_t* blk = block(d, d.did[j]);
    const uint32_t pos = block_pos(blk, k);
    return pos < d.dcnt[j] && blk[pos] == k ? blk[kBlock + pos] : 0;
  }

 private:
  static constexpr uint32_t kBlock = 16;                 // levels per block at most
  static constexpr uint32_t kMergeAt = kBlock / 2;        // neighbours holding <= this many merge
  static constexpr std::size_t kBlockWords = 2 * kBlock;  // keys, then quantities
  static constexpr uint32_t kWindow = 32;                 // directory keys counted at a time
  static constexpr int64_t kPad = std::numeric_limits<int64_t>::max();
  static_assert(kBlock % 8 == 0 && kWindow % 4 == 0);

  // Four keys or quantities, 32-byte aligned: every write to the keys, the quantities and the
  // directory keys is a whole aligned lane, because the searches read them a lane at a time and a
  // wide load that overlaps a recent narrower store cannot take its data from the store buffer (it
  // waits for the store to reach the cache: ~8 ns a time on the dev VM, measured). Scalar reads of
  // a lane are fine. GCC and Clang vector extensions: AVX2 with the default -march=x86-64-v3.
  typedef int64_t Lane __attribute__((vector_size(32), may_alias));
  static Lane splat(int64_t x) noexcept { return Lane{x, x, x, x}; }
  static Lane select(Lane mask, Lane a, Lane b) noexcept { return (a & mask) | (b & ~mask); }
  static Lane* lanes(int64_t* a) noexcept { return reinterpret_cast<Lane*>(a); }

  // a[i] = v (i's lane rewritten whole).
  static void lane_set(int64_t* a, uint32_t i, int64_t v) noexcept {
    Lane* l = lanes(a) + i / 4;
    const Lane at = (Lane)(Lane{0, 1, 2, 3} == splat(i % 4));
    *l = select(at, splat(v), *l);
  }
  // Lanes [from, to) of a all v.
  static void lane_fill(int64_t* a, uint32_t from, uint32_t to, int64_t v) noexcept {
    for (uint32_t L = from; L < to; ++L) lanes(a)[L] = splat(v);
  }
  // a holds cnt elements: v goes in at pos <= cnt, elements [pos, cnt) move up one (lanes pos / 4
  // to cnt / 4 are rewritten, so that lane must exist).
  static void lane_insert(int64_t* a, uint32_t cnt, uint32_t pos, int64_t v) noexcept {
    Lane* l = lanes(a);
    uint32_t L = pos / 4;
    const uint32_t last = cnt / 4;
    Lane prev = l[L];
    const Lane r = splat(pos % 4), iota{0, 1, 2, 3};
    const Lane up = __builtin_shufflevector(prev, prev, 0, 0, 1, 2);
    l[L] = select((Lane)(iota < r), prev, select((Lane)(iota == r), splat(v), up));
    for (++L; L <= last; ++L) {
      const Lane cur = l[L];
      l[L] = __builtin_shufflevector(cur, prev, 7, 0, 1, 2);  // prev's last element, then cur's first three
      prev = cur;
    }
  }
  // a holds cnt >= 1 elements: element pos < cnt leaves, elements (pos, cnt) move down one and
  // element cnt - 1 becomes fill (lanes pos / 4 to (cnt - 1) / 4 are rewritten).
  static void lane_erase(int64_t* a, uint32_t cnt, uint32_t pos, int64_t fill) noexcept {
    Lane* l = lanes(a);
    uint32_t L = pos / 4;
    const uint32_t last = (cnt - 1) / 4;
    Lane cur = l[L];
    Lane next = L < last ? l[L + 1] : splat(fill);
    const Lane iota{0, 1, 2, 3};
    l[L] = select((Lane)(iota < splat(pos % 4)), cur, __builtin_shufflevector(cur, next, 1, 2, 3, 4));
    for (++L; L <= last; ++L) {
      cur = next;
      next = L < last ? l[L + 1] : splat(fill);
      l[L] = __builtin_shufflevector(cur, next, 1, 2, 3, 4);
    }
  }

  // Number of the first 4 * NL keys of `a` (32-byte aligned) that are < k: fixed length, one
  // compare per lane, summed as a tree; no branch.
  template <uint32_t NL>
  static uint32_t count_less(const int64_t* a, int64_t k) noexcept {
    const Lane* l = reinterpret_cast<const Lane*>(a);
    const Lane kk = splat(k);
    Lane acc[4] = {};
    for (uint32_t i = 0; i < NL; ++i) acc[i % 4] -= (Lane)(l[i] < kk);
    const Lane t = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    return static_cast<uint32_t>((t[0] + t[1]) + (t[2] + t[3]));
  }
  static uint32_t block_pos(const int64_t* blk, int64_t k) noexcept { return count_less<kBlock / 4>(blk, k); }
  // block_pos(), and whether some key slot of the block equals k, from the same lane loads (no
  // second, dependent load of the key at pos; a kPad slot matches only k == kPad, past the levels).
  static uint32_t block_pos_eq(const int64_t* blk, int64_t k, bool& eq) noexcept {
    const Lane* l = reinterpret_cast<const Lane*>(blk);
    const Lane kk = splat(k);
    Lane acc[4] = {}, any[2] = {};
    for (uint32_t i = 0; i < kBlock / 4; ++i) {
      acc[i % 4] -= (Lane)(l[i] < kk);
      any[i % 2] |= (Lane)(l[i] == kk);
    }
    const Lane t = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    const Lane e = any[0] | any[1];
    eq = ((e[0] | e[1]) | (e[2] | e[3])) != 0;
    return static_cast<uint32_t>((t[0] + t[1]) + (t[2] + t[3]));
  }

  struct SideData {
    int64_t* blocks = nullptr;  // max_blocks_ blocks of [kBlock keys | kBlock quantities]
    int64_t* dmax = nullptr;    // per directory slot, worst block first: the block's greatest key; kPad past nb
    uint32_t* did = nullptr;    // per directory slot: block number
    uint32_t* dcnt = nullptr;   // per directory slot: levels in the block (1..kBlock)
    uint32_t* free = nullptr;   // stack of unused block numbers
    uint32_t nb = 0;            // blocks in use (directory slots)
    uint32_t nfree = 0;
    std::size_t n = 0;          // levels held
    PriceLevel best{0, 0};      // the last level of the last block, when n > 0
    // level()'s cursor: directory slot and the rank (from the touch) of its block's best level.
    mutable bool cursor_ok = false;
    mutable uint32_t cursor_j = 0;
    mutable std::size_t cursor_base = 0;
  };

  // Any two neighbouring blocks hold > kMergeAt levels, so n levels need at most
  // 2 * floor(n / (kMergeAt + 1)) + 1 blocks; one more for slack.
  static uint32_t pool_blocks(std::size_t cap) {
    const std::size_t b = 2 * (cap / (kMergeAt + 1)) + 2;
    if (b > std::numeric_limits<uint32_t>::max() / 2) throw std::bad_alloc();
    return static_cast<uint32_t>(b);
  }

  struct AlignedDelete {
    void operator()(std::byte* p) const noexcept { ::operator delete[](p, std::align_val_t{64}); }
  };

  // Directory slot of the block that holds the first key >= k, or the last block (nb - 1) when k
  // is above every key. nb > 0. Counts a lane-aligned window of kWindow slots, the one that ends at
  // the touch first, and moves it a window toward the worst block while its first key is >= k.
  static uint32_t find_block(const int64_t* dmax, uint32_t nb, int64_t k) noexcept {
    uint32_t lo = nb > kWindow ? ((nb + 3) & ~3u) - kWindow : 0;
    while (lo > 0 && dmax[lo] >= k) lo = lo > kWindow ? lo - kWindow : 0;
    // The answer is in [lo, lo + kWindow]: slots of the window past it are >= k (sorted, or kPad).
    const uint32_t j = lo + count_less<kWindow / 4>(dmax + lo, k);
    return j < nb ? j : nb - 1;
  }

  int64_t* block(SideData& d, uint32_t id) noexcept { return d.blocks + std::size_t{id} * kBlockWords; }
  const int64_t* block(const SideData& d, uint32_t id) const noexcept {
    return d.blocks + std::size_t{id} * kBlockWords;
  }

  // Takes a block from the pool (key slots set to kPad) and opens directory slot j for it, empty,
  // with directory key `max`.
  int64_t* new_block_at(SideData& d, uint32_t j, int64_t max) noexcept {
    const uint32_t id = d.free[--d.nfree];
    int64_t* blk = block(d, id);
    lane_fill(blk, 0, kBlock / 4, kPad);
    lane_insert(d.dmax, d.nb, j, max);
    const uint32_t tail = d.nb - j;
    std::memmove(d.did + j + 1, d.did + j, tail * sizeof(uint32_t));
    std::memmove(d.dcnt + j + 1, d.dcnt + j, tail * sizeof(uint32_t));
    d.did[j] = id;
    d.dcnt[j] = 0;
    ++d.nb;
    d.cursor_ok = false;
    return blk;
  }

  // Returns the block in directory slot j to the pool and closes the slot.
  void drop_slot(SideData& d, uint32_t j) noexcept {
    d.free[d.nfree++] = d.did[j];
    lane_erase(d.dmax, d.nb, j, kPad);
    const uint32_t tail = d.nb - j - 1;
    std::memmove(d.did + j, d.did + j + 1, tail * sizeof(uint32_t));
    std::memmove(d.dcnt + j, d.dcnt + j + 1, tail * sizeof(uint32_t));
    --d.nb;
    d.cursor_ok = false;
  }

  // A new block in directory slot j holding the one level (k, qty).
  void append_block(SideData& d, uint32_t j, int64_t k, Fixed qty) noexcept {
    int64_t* blk = new_block_at(d, j, k);
    lane_set(blk, 0, k);
    lane_set(blk + kBlock, 0, qty);
    d.dcnt[j] = 1;
    ++d.n;
  }

  // Inserts (k, qty) at slot pos of a block holding cnt < kBlock levels; pos <= cnt.
  static void put(int64_t* blk, uint32_t cnt, uint32_t pos, int64_t k, Fixed qty) noexcept {
    lane_insert(blk, cnt, pos, k);
    lane_insert(blk + kBlock, cnt, pos, qty);
  }

  // Inserts a new level (k, qty) at slot pos of the block in directory slot j (the first key >= k).
  void insert_at(SideData& d, uint32_t j, uint32_t pos, int64_t k, Fixed qty) noexcept {
    int64_t* blk = block(d, d.did[j]);
    const uint32_t cnt = d.dcnt[j];
    if (cnt < kBlock) {
      ++d.n;
      d.cursor_ok = false;
      put(blk, cnt, pos, k, qty);
      d.dcnt[j] = cnt + 1;
      if (pos == cnt) lane_set(d.dmax, j, k);  // past the block's greatest key: only in the last block
      return;
    }
    // The block is full.
    if (pos == 0 && j > 0 && d.dcnt[j - 1] < kBlock) {
      // k falls between the previous block and this one: it ends the previous block.
      ++d.n;
      d.cursor_ok = false;
      const uint32_t c = d.dcnt[j - 1];
      int64_t* prev = block(d, d.did[j - 1]);
      lane_set(prev, c, k);
      lane_set(prev + kBlock, c, qty);
      d.dcnt[j - 1] = c + 1;
      lane_set(d.dmax, j - 1, k);
      return;
    }
    if (pos == kBlock) {
      // Past the best level: a block of its own (a snapshot loaded worst first fills its blocks).
      append_block(d, j + 1, k, qty);
      return;
    }
    // Split: the upper half moves to a new block right after this one.
    ++d.n;
    constexpr uint32_t h = kBlock / 2;
    int64_t* hi = new_block_at(d, j + 1, d.dmax[j]);
    for (uint32_t L = 0; L < (kBlock - h) / 4; ++L) {
      lanes(hi)[L] = lanes(blk)[h / 4 + L];
      lanes(hi + kBlock)[L] = lanes(blk + kBlock)[h / 4 + L];
    }
    lane_fill(blk, h / 4, kBlock / 4, kPad);
    d.dcnt[j] = h;
    d.dcnt[j + 1] = kBlock - h;
    if (pos <= h) {
      put(blk, h, pos, k, qty);
      d.dcnt[j] = h + 1;
      lane_set(d.dmax, j, pos == h ? k : blk[h]);
    } else {
      lane_set(d.dmax, j, blk[h - 1]);
      put(hi, kBlock - h, pos - h, k, qty);
      d.dcnt[j + 1] = kBlock - h + 1;
    }
  }

  // Appends the levels of directory slot j + 1 to slot j (they fit) and closes slot j + 1.
  void merge_next(SideData& d, uint32_t j) noexcept {
    int64_t* a = block(d, d.did[j]);
    const int64_t* b = block(d, d.did[j + 1]);
    const uint32_t ca = d.dcnt[j], cb = d.dcnt[j + 1];
    // Lanes of a from the one holding slot ca on, built from scalar reads (b's key slots past cb
    // are kPad, so the last lane's tail stays padding).
    for (uint32_t L = ca / 4; 4 * L < ca + cb; ++L) {
      for (const std::size_t off : {std::size_t{0}, std::size_t{kBlock}}) {
        Lane v;
        for (uint32_t t = 0; t < 4; ++t) {
          const uint32_t e = 4 * L + t;
          v[t] = e < ca ? a[off + e] : b[off + e - ca];
        }
        lanes(a + off)[L] = v;
      }
    }
    d.dcnt[j] = ca + cb;
    lane_set(d.dmax, j, d.dmax[j + 1]);
    drop_slot(d, j + 1);
  }

  // Removes the level at slot pos of the block in directory slot j, then keeps any two neighbouring
  // blocks above kMergeAt levels together (an emptied block leaves the directory).
  void erase_at(SideData& d, uint32_t j, uint32_t pos) noexcept {
    --d.n;
    d.cursor_ok = false;
    int64_t* blk = block(d, d.did[j]);
    const uint32_t before = d.dcnt[j];
    lane_erase(blk, before, pos, kPad);
    lane_erase(blk + kBlock, before, pos, 0);
    const uint32_t cnt = before - 1;
    d.dcnt[j] = cnt;
    if (cnt == 0) {
      drop_slot(d, j);
      return;
    }
    if (pos == cnt) lane_set(d.dmax, j, blk[cnt - 1]);
    if (j > 0 && d.dcnt[j - 1] + cnt <= kMergeAt) merge_next(d, --j);
    if (j + 1 < d.nb && d.dcnt[j] + d.dcnt[j + 1] <= kMergeAt) merge_next(d, j);
  }

  void refresh_best(SideData& d, int s) noexcept {
    if (d.nb == 0) return;
    const uint32_t j = d.nb - 1;
    const int64_t* blk = block(d, d.did[j]);
    const uint32_t i = d.dcnt[j] - 1;
    d.best = {s == 0 ? blk[i] : -blk[i], blk[kBlock + i]};
  }

  std::size_t cap_;
  uint32_t max_blocks_;     // pool size per side: enough for cap_ levels under the merge rule
  std::size_t dir_slots_;   // directory slots per side: >= max_blocks_ and >= kWindow
  std::unique_ptr<std::byte[], AlignedDelete> mem_;  // per side: [blocks | dmax | did | dcnt | free]
  SideData side_[2];        // index: Side
};

}  // namespace tp
