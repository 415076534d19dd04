// ProfitTaker: the profit-taking rule of SPEC §4 and §9.4–§9.8, per symbol.
//
// Decides; does not send. The strategy owns the in-flight guard (it knows which orders are open)
// and tells the rule when an order it proposed was filled, or rejected/cancelled with nothing
// filled (which re-arms the level). Single writer: the strategy thread; no allocation after
// construction.
#pragma once

#include <cstdint>
#include <vector>

#include "core/config/config.hpp"
#include "core/types/decimal.hpp"
#include "core/types/events.hpp"

namespace tp {

inline constexpr std::size_t kMaxProfitLevels = 32;  // fired levels are a 32-bit mask

struct SymbolRules {
  Fixed lot_step = 0;
  Fixed min_qty = 0;
  Fixed min_notional = 0;
};

struct ProfitDecision {
  bool send = false;
  uint8_t level = 0;      // 1-based
  Side side = Side::Sell;
  Fixed qty = 0;
  uint32_t skipped = 0;   // levels skipped (too small) on this evaluation
};

class ProfitTaker {
 public:
  ProfitTaker(std::vector<ProfitLevel> levels, std::vector<SymbolRules> rules);

  // One evaluation for one symbol on one market event (SPEC §9.6): walks the unfired levels in
  // ascending order; a triggered level that is too small counts as fired and the walk goes on;
  // the first triggered level that yields an order ends the walk. `touch` is the price a
  // reducing order would fill at (bid for a long, ask for a short; the mark before the first
  // book top), which is also the mark the gain is measured at.
  ProfitDecision evaluate(SymbolId id, Fixed qty, Fixed entry, Fixed touch) noexcept;

  // A new position episode (left flat, flipped, or ended): all levels re-arm.
  void reset_episode(SymbolId id) noexcept { fired_[id] = 0; }
  // The order for `level` ended with nothing filled: the level may fire again.
  void rearm(SymbolId id, uint8_t level) noexcept { fired_[id] &= ~(1u << (level - 1)); }

  bool fired(SymbolId id, uint8_t level) const noexcept { return (fired_[id] >> (level - 1)) & 1u; }
  std::size_t level_count() const noexcept { return levels_.size(); }

  // Exact gain test of SPEC §1: gain_pct% of entry reached at `touch` for a position of sign q.
  static bool gain_reached(Fixed qty, Fixed entry, Fixed touch, Fixed gain_pct) noexcept;
  // |q| * fraction rounded down to the lot step (SPEC §4).
  static Fixed reduction_qty(Fixed abs_qty, Fixed fraction, Fixed lot_step) noexcept;

 private:
  std::vector<ProfitLevel> levels_;
  std::vector<SymbolRules> rules_;
  std::vector<uint32_t> fired_;
};

}  // namespace tp
