#include "core/strategy/position_book.hpp"

namespace tp {

namespace {
Fixed abs_fixed(Fixed v) noexcept { return v < 0 ? -v : v; }
}  // namespace

void PositionBook::set_initial(SymbolId id, Fixed qty, Fixed entry) noexcept {
  Position& p = pos_[id];
  p.qty = qty;
  p.entry = qty == 0 ? 0 : entry;
  p.max_abs_qty = abs_fixed(qty);
}

bool PositionBook::on_market(const MarketEvent& e) noexcept {
  Position& p = pos_[e.symbol_id];
  if (e.kind == EventKind::BookTop) {
    p.bid = e.book.bid_px;
    p.ask = e.book.ask_px;
    p.has_book_top = true;
    return true;
  }
  if (e.kind != EventKind::Trade) return false;
  p.last_trade = e.trade.px;
  return !p.has_book_top;
}

Fixed PositionBook::mark(SymbolId id) const noexcept {
  const Position& p = pos_[id];
  if (!p.has_book_top) return p.last_trade;
  return p.qty < 0 ? p.ask : p.bid;
}

Fixed PositionBook::unrealized(SymbolId id) const noexcept {
  const Position& p = pos_[id];
  const Fixed m = mark(id);
  if (p.qty == 0 || m == 0) return 0;
  return mul_round(m - p.entry, p.qty);
}

FillEffect PositionBook::apply_fill(SymbolId id, Side side, Fixed qty, Fixed px, Fixed fee) noexcept {
  Position& p = pos_[id];
  FillEffect fx;
  const Fixed signed_qty = side == Side::Buy ? qty : -qty;
  p.fees += fee;
  ++p.fills;
  const bool was_flat = p.qty == 0;
  const bool reduces = !was_flat && ((p.qty > 0) != (signed_qty > 0));

  if (!reduces) {
    // Opening or increasing: quantity-weighted average entry, rounded half away from zero.
    const Fixed new_qty = p.qty + signed_qty;
    const i128 cost = mul_exact(p.entry, abs_fixed(p.qty)) + mul_exact(px, qty);
    p.entry = static_cast<Fixed>(div_round_half_away(cost, abs_fixed(new_qty)));
    p.qty = new_qty;
    fx.episode_started = was_flat;
  } else {
    const Fixed closed = qty < abs_fixed(p.qty) ? qty : abs_fixed(p.qty);
    const Fixed per_unit = p.qty > 0 ? px - p.entry : p.entry - px;
    fx.realized = mul_round(per_unit, closed);
    p.realized += fx.realized;
    if (fx.realized > 0) ++p.winning_reductions;
    else if (fx.realized < 0) ++p.losing_reductions;
    const Fixed remainder = qty - closed;  // > 0 only when the fill flips the position
    p.qty += signed_qty;
    if (p.qty == 0) {
      p.entry = 0;
      fx.episode_ended = true;
    } else if (remainder > 0) {
      p.entry = px;  // the flipped remainder opens a new position at the fill price
      fx.episode_ended = true;
      fx.episode_started = true;
    }
  }
  const Fixed a = abs_fixed(p.qty);
  if (a > p.max_abs_qty) p.max_abs_qty = a;
  return fx;
}

}  // namespace tp
