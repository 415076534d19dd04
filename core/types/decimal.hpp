// Fixed-point decimal: int64_t with 8 fractional digits (1 unit = 1e-8). SPEC §1, §9.9.
//
// Venue strings convert exactly, never through double. Products (notional, P&L) are formed in
// 128-bit integers and rounded half away from zero back to 1e-8 only when stored or printed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tp {

using i128 = __int128;

inline constexpr int kDecimalPlaces = 8;
inline constexpr int64_t kScale = 100'000'000;  // 10^8 raw units per whole unit

// A quantity or price in raw 1e-8 units. Plain int64_t so events stay plain structs; this
// alias documents intent at the use site.
using Fixed = int64_t;

// Parses the unsigned venue grammar `[0-9]+(\.[0-9]+)?` (SPEC §9.9). Digits past the 8th decimal
// must be zeros. Returns false (and leaves `out` alone) for an empty string, a sign, an exponent,
// spaces, or a value that does not fit int64_t. Never allocates; hot path.
bool parse_fixed(std::string_view text, Fixed& out) noexcept;

// Same grammar with an optional leading '-' (configuration only: a short inventory position).
bool parse_fixed_signed(std::string_view text, Fixed& out) noexcept;

// Writes `value` as `[-]I.FFFFFFFF` (always 8 fractional digits) into `buf`, which must hold at
// least kMaxFixedChars bytes; returns the number of bytes written. No allocation.
inline constexpr std::size_t kMaxFixedChars = 21;  // "-92233720368.54775808"
std::size_t format_fixed(Fixed value, char* buf) noexcept;
std::string to_string_fixed(Fixed value);

// Divides a 128-bit integer by a positive divisor, rounding half away from zero.
constexpr i128 div_round_half_away(i128 num, i128 den) noexcept {
  const i128 q = num / den;
  const i128 r = num % den;
  const i128 twice = (r < 0 ? -r : r) * 2;
  if (twice >= den) return num < 0 ? q - 1 : q + 1;
  return q;
}

// Exact product of two fixed values, in raw 1e-16 units (no rounding).
constexpr i128 mul_exact(Fixed a, Fixed b) noexcept { return static_cast<i128>(a) * b; }

// True when `move` is at least `pct` percent of `of`, exactly: move * 100 >= pct * of, with the left
// side scaled by 1e8 because pct carries 8 fractional digits (the rules' thresholds: SPEC §4).
constexpr bool at_least_percent(i128 move, Fixed pct, Fixed of) noexcept {
  return move * 100 * kScale >= static_cast<i128>(pct) * of;
}

// Product of two fixed values rounded half away from zero to 1e-8 (notional, fee, P&L).
// The caller guarantees the result fits int64_t (prices and quantities are bounded by the
// configured max_order_* limits and by int64 parsing).
constexpr Fixed mul_round(Fixed a, Fixed b) noexcept {
  return static_cast<Fixed>(div_round_half_away(mul_exact(a, b), kScale));
}

// The fee of a fill of `qty` at `px` at `bps` basis points, rounded half away from zero to 1e-8
// (SPEC §9.8): qty*px carries 1e-16, bps 1e-8, so divide by 1e16 and by 1e4 for basis points.
constexpr Fixed fee_from_bps(Fixed qty, Fixed px, Fixed bps) noexcept {
  return static_cast<Fixed>(div_round_half_away(mul_exact(qty, px) * bps, static_cast<i128>(kScale) * kScale * 10000));
}

// Largest multiple of `step` that is <= value (value >= 0, step > 0).
constexpr Fixed floor_to_step(Fixed value, Fixed step) noexcept { return value - value % step; }

}  // namespace tp
