// StopLoss: closes (part of) a position whose loss reached `loss_pct` percent of its entry price.
// docs/decisions.md, "Stop-loss, trailing stop and the entry rule".
//
// Rule, per symbol it applies to ([stop_loss] symbols; absent = every symbol), on each evaluation
// with position q != 0, average entry price `entry` > 0 and `touch` > 0 (the price a closing order
// fills at, which is also the mark: the bid for a long, the ask for a short; the mark before the
// symbol's first book top, SPEC §3):
//   long  fires when (entry - touch) * 100 >= loss_pct * entry
//   short fires when (touch - entry) * 100 >= loss_pct * entry
// exactly, in 128-bit integers (SPEC §1). Firing closes |q| * close_fraction rounded DOWN to the lot
// step, on the closing side. If that quantity is below the lot step, below min_qty, or its notional
// at the touch is below min_notional, no order is proposed, the rule still counts as fired and
// `skipped` is 1 (SPEC §4's skip rules).
// At most once per position episode: fired stays set until reset_episode() (the position went flat,
// flipped, or left flat) or rearm() (the proposed order ended with nothing filled).
//
// Like ProfitTaker it decides and does not send: the strategy owns the in-flight guard and the
// trading state. Single writer (the strategy thread); no allocation after construction.
//
// RuleDecision and the too-small check live here and are shared by TrailingStop and EntryRule.
#pragma once

#include <cstdint>
#include <vector>

#include "core/config/config.hpp"
#include "core/types/decimal.hpp"
#include "core/types/events.hpp"
#include "core/strategy/profit_taker.hpp"

namespace tp {

// What a rule proposes on one evaluation.
struct RuleDecision {
  bool send = false;      // an order should be sent: `side`, `qty` (a market order)
  Side side = Side::Sell;
  Fixed qty = 0;
  uint32_t skipped = 0;   // 1 when the rule fired (or, for the entry rule, triggered) but the order was too small
};

// SPEC §4's skip rule: below the lot step, below the minimum quantity, or qty × touch below the
// minimum notional (exact, no rounding).
constexpr bool order_too_small(Fixed qty, Fixed touch, const SymbolRules& r) noexcept {
  return qty <= 0 || qty < r.lot_step || qty < r.min_qty ||
         mul_exact(qty, touch) < static_cast<i128>(r.min_notional) * kScale;
}

// Per-symbol on/off from a rule's `enabled` and `symbols` (empty = every symbol). Ids outside
// [0, symbols) are ignored.
std::vector<uint8_t> rule_symbol_mask(bool enabled, const std::vector<SymbolId>& ids, std::size_t symbols);

class StopLoss {
 public:
  // One SymbolRules per configured symbol, in id order.
  StopLoss(const StopLossConfig& cfg, std::vector<SymbolRules> rules);

  // One evaluation for one symbol on one market event that moved its mark.
  RuleDecision evaluate(SymbolId id, Fixed qty, Fixed entry, Fixed touch) noexcept;

  // A new position episode (left flat, flipped, or ended): the rule re-arms.
  void reset_episode(SymbolId id) noexcept { fired_[id] = 0; }
  // The order it proposed ended (reject or cancel) with nothing filled: it may fire again.
  void rearm(SymbolId id) noexcept { fired_[id] = 0; }

  bool enabled(SymbolId id) const noexcept { return enabled_[id] != 0; }
  bool fired(SymbolId id) const noexcept { return fired_[id] != 0; }

  // The exact loss test above: the loss of a position of sign q is at least `loss_pct` % of entry.
  static bool loss_reached(Fixed qty, Fixed entry, Fixed touch, Fixed loss_pct) noexcept;

 private:
  Fixed loss_pct_;
  Fixed close_fraction_;
  std::vector<SymbolRules> rules_;
  std::vector<uint8_t> enabled_;
  std::vector<uint8_t> fired_;
};

}  // namespace tp
