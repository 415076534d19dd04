#include "core/strategy/profit_taker.hpp"

#include <stdexcept>

namespace tp {

ProfitTaker::ProfitTaker(std::vector<ProfitLevel> levels, std::vector<SymbolRules> rules)
    : levels_(std::move(levels)), rules_(std::move(rules)), fired_(rules_.size(), 0) {
  if (levels_.size() > kMaxProfitLevels)
    throw std::invalid_argument("at most " + std::to_string(kMaxProfitLevels) + " profit-taking levels");
}

bool ProfitTaker::gain_reached(Fixed qty, Fixed entry, Fixed touch, Fixed gain_pct) noexcept {
  if (qty == 0 || entry <= 0 || touch <= 0) return false;
  // gain = touch - entry for a long, mirrored for a short.
  const i128 gain = qty > 0 ? static_cast<i128>(touch) - entry : static_cast<i128>(entry) - touch;
  return at_least_percent(gain, gain_pct, entry);
}

Fixed ProfitTaker::reduction_qty(Fixed abs_qty, Fixed fraction, Fixed lot_step) noexcept {
  // Exact product in 1e-16 units, then the number of whole lots it holds.
  const i128 product = mul_exact(abs_qty, fraction);
  const i128 lots = product / (static_cast<i128>(lot_step) * kScale);
  return static_cast<Fixed>(lots * lot_step);
}

ProfitDecision ProfitTaker::evaluate(SymbolId id, Fixed qty, Fixed entry, Fixed touch) noexcept {
  ProfitDecision d;
  if (qty == 0) return d;
  const SymbolRules& r = rules_[id];
  const Fixed abs_qty = qty < 0 ? -qty : qty;
  for (std::size_t i = 0; i < levels_.size(); ++i) {
    const uint32_t bit = 1u << i;
    if (fired_[id] & bit) continue;
    // Levels ascend, so the first unfired level that is not reached ends the walk.
    if (!gain_reached(qty, entry, touch, levels_[i].gain_pct)) break;
    fired_[id] |= bit;
    const Fixed q = reduction_qty(abs_qty, levels_[i].reduce_fraction, r.lot_step);
    const bool too_small = q < r.lot_step || q < r.min_qty ||
                           mul_exact(q, touch) < static_cast<i128>(r.min_notional) * kScale;
    if (too_small) {
      ++d.skipped;
      continue;
    }
    d.send = true;
    d.level = static_cast<uint8_t>(i + 1);
    d.side = qty > 0 ? Side::Sell : Side::Buy;
    d.qty = q;
    return d;
  }
  return d;
}

}  // namespace tp
