// Pre-trade checks (SPEC §6): every order passes these in the gateway before it reaches a venue.
// A failed check is a reject with a reason (SPEC §9.16), never a silent drop.
//
// This checks: trading state, max order quantity, max order notional. Hot path: plain
// integer comparisons, no allocation.
#pragma once

#include "core/config.hpp"
#include "core/orders.hpp"

namespace tp {

class PreTradeChecks {
 public:
  explicit PreTradeChecks(const RiskConfig& risk) noexcept
      : max_qty_(risk.max_order_qty), max_notional_(risk.max_order_notional) {}

  void set_state(TradingState s) noexcept { state_ = s; }
  TradingState state() const noexcept { return state_; }

  RejectReason check(const OrderRequest& o) const noexcept {
    if (state_ != TradingState::Active && !o.reduces) return RejectReason::State;
    if (o.qty > max_qty_) return RejectReason::MaxQty;
    // Notional at the price the order is expected to trade: the limit price, else the touch.
    const Fixed px = o.type == OrderType::Limit ? o.price : o.ref_px;
    if (mul_exact(o.qty, px) > static_cast<i128>(max_notional_) * kScale) return RejectReason::MaxNotional;
    return RejectReason::None;
  }

 private:
  Fixed max_qty_;
  Fixed max_notional_;
  TradingState state_ = TradingState::Active;
};

}  // namespace tp
