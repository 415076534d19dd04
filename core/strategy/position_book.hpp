// PositionBook: per-symbol position accounting (SPEC §3), a flat array indexed by SymbolId.
//
// Single writer: the strategy thread. Sized once at construction; no allocation afterwards.
#pragma once

#include <cstdint>
#include <vector>

#include "core/types/decimal.hpp"
#include "core/types/events.hpp"

namespace tp {

struct Position {
  Fixed qty = 0;          // signed: long > 0, short < 0
  Fixed entry = 0;        // average entry price of the open position; 0 when flat
  Fixed realized = 0;     // sum of per-fill rounded realized P&L
  Fixed fees = 0;         // sum of per-fill rounded fees
  uint64_t fills = 0;
  uint64_t winning_reductions = 0;
  uint64_t losing_reductions = 0;
  Fixed max_abs_qty = 0;
  // Market state used for marking.
  Fixed bid = 0;
  Fixed ask = 0;
  Fixed last_trade = 0;
  bool has_book_top = false;
};

// What one fill did to a position.
struct FillEffect {
  Fixed realized = 0;      // rounded half away from zero (SPEC §9.8)
  bool episode_ended = false;   // the position became flat, or flipped sign
  bool episode_started = false; // the position left flat, or flipped sign
};

class PositionBook {
 public:
  explicit PositionBook(std::size_t symbols) : pos_(symbols) {}

  // Inventory held before start-up (SPEC §3).
  void set_initial(SymbolId id, Fixed qty, Fixed entry) noexcept;

  // Returns true when the event moved the symbol's mark (SPEC §9.5): every book top; a trade
  // only before the symbol's first book top.
  bool on_market(const MarketEvent& e) noexcept;

  FillEffect apply_fill(SymbolId id, Side side, Fixed qty, Fixed px, Fixed fee) noexcept;

  // Long: best bid; short: best ask; before any book top (or when flat and no top): last trade.
  Fixed mark(SymbolId id) const noexcept;
  // (mark - entry) * qty rounded half away from zero; 0 when flat or unmarked.
  Fixed unrealized(SymbolId id) const noexcept;
  bool has_mark(SymbolId id) const noexcept { return pos_[id].has_book_top || pos_[id].last_trade != 0; }

  const Position& operator[](SymbolId id) const noexcept { return pos_[id]; }
  std::size_t size() const noexcept { return pos_.size(); }

 private:
  std::vector<Position> pos_;
};

}  // namespace tp
