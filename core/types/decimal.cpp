#include "core/types/decimal.hpp"

#include <bit>
#include <cstring>
#include <limits>

namespace tp {
namespace {

constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());

// Largest integer part of a representable value: INT64_MAX / 1e8.
constexpr uint64_t kMaxIntPart = kMax / static_cast<uint64_t>(kScale);  // 92233720368

// Eight ASCII digits packed little-endian in `x` (first digit in the low byte) -> their value in
// one SWAR step, or false if any byte is not a digit.
static_assert(std::endian::native == std::endian::little, "the SWAR digit parsing assumes little-endian loads");
inline bool eight_digits_value(uint64_t x, uint64_t& out) noexcept {
  // Every byte is a digit iff its high nibble is 3 and adding 6 keeps it 3 (0x3A..0x3F become 0x4_).
  if (((x & 0xF0F0F0F0F0F0F0F0ull) != 0x3030303030303030ull) ||
      (((x + 0x0606060606060606ull) & 0xF0F0F0F0F0F0F0F0ull) != 0x3030303030303030ull))
    return false;
  uint64_t v = x - 0x3030303030303030ull;
  v = (v * 10) + (v >> 8);
  v = (((v & 0x000000FF000000FFull) * (100 + (1000000ull << 32))) +
       (((v >> 16) & 0x000000FF000000FFull) * (1 + (10000ull << 32)))) >> 32;
  out = v;
  return true;
}

// The eight bytes at p (all readable) as eight digits (the 8 fractional digits of every spot price).
inline bool eight_digits(const char* p, uint64_t& out) noexcept {
  uint64_t x;
  std::memcpy(&x, p, 8);
  return eight_digits_value(x, out);
}

// The `len` (1..8) bytes at p as digits; the 8 bytes at p must be readable. The bytes past the
// digits are shifted out and '0's shifted in at the front, which does not change the value.
inline bool up_to_eight_digits(const char* p, std::size_t len, uint64_t& out) noexcept {
  uint64_t x;
  std::memcpy(&x, p, 8);
  const unsigned pad_bits = 8 * static_cast<unsigned>(8 - len);  // 0..56
  x <<= pad_bits;
  x |= 0x3030303030303030ull & ((uint64_t{1} << pad_bits) - 1);
  return eight_digits_value(x, out);
}

// The shape of every Binance spot price and quantity: 1..8 integer digits, '.', exactly 8 decimals
// ("61837.63000000"). Two 8-byte loads, both inside the string (n >= 10); the value is below 1e16,
// so it cannot overflow. false: not this shape (the general parser decides).
inline bool parse_spot_shape(std::string_view s, uint64_t& out) noexcept {
  const std::size_t n = s.size();
  if (n < 10 || n > 17 || s[n - 9] != '.') return false;
  uint64_t int_part = 0, frac = 0;
  if (!up_to_eight_digits(s.data(), n - 9, int_part) || !eight_digits(s.data() + n - 8, frac)) return false;
  out = int_part * static_cast<uint64_t>(kScale) + frac;
  return true;
}

bool parse_magnitude(std::string_view s, uint64_t& out) noexcept {
  if (parse_spot_shape(s, out)) [[likely]] return true;
  const std::size_t n = s.size();
  std::size_t i = 0;
  uint64_t int_part = 0;
  while (i < n && static_cast<unsigned char>(s[i] - '0') <= 9) {
    int_part = int_part * 10 + static_cast<uint64_t>(s[i] - '0');
    if (int_part > kMaxIntPart) return false;  // cannot fit even with a zero fraction
    ++i;
  }
  if (i == 0) return false;
  uint64_t frac = 0;
  if (i < n) {
    if (s[i] != '.') return false;
    ++i;
    if (i == n) return false;
    if (n - i >= 8 && eight_digits(s.data() + i, frac)) {
      i += 8;
    } else {
      int frac_digits = 0;
      for (; i < n && frac_digits < kDecimalPlaces; ++i, ++frac_digits) {
        const char c = s[i];
        if (c < '0' || c > '9') return false;
        frac = frac * 10 + static_cast<uint64_t>(c - '0');
      }
      for (; frac_digits < kDecimalPlaces; ++frac_digits) frac *= 10;
    }
    for (; i < n; ++i)
      if (s[i] != '0') return false;
  }
  constexpr uint64_t scale = static_cast<uint64_t>(kScale);
  if (int_part > (kMax - frac) / scale) return false;
  out = int_part * scale + frac;
  return true;
}

}  // namespace

bool parse_fixed(std::string_view text, Fixed& out) noexcept {
  uint64_t m = 0;
  if (!parse_magnitude(text, m)) return false;
  out = static_cast<Fixed>(m);
  return true;
}

bool parse_fixed_signed(std::string_view text, Fixed& out) noexcept {
  const bool neg = !text.empty() && text.front() == '-';
  uint64_t m = 0;
  if (!parse_magnitude(neg ? text.substr(1) : text, m)) return false;
  out = neg ? -static_cast<Fixed>(m) : static_cast<Fixed>(m);
  return true;
}

std::size_t format_fixed(Fixed value, char* buf) noexcept {
  // Work in unsigned so INT64_MIN formats correctly.
  const bool neg = value < 0;
  uint64_t mag = neg ? (~static_cast<uint64_t>(value) + 1) : static_cast<uint64_t>(value);
  uint64_t int_part = mag / static_cast<uint64_t>(kScale);
  uint64_t frac = mag % static_cast<uint64_t>(kScale);
  char tmp[24];
  std::size_t t = 0;
  do {
    tmp[t++] = static_cast<char>('0' + int_part % 10);
    int_part /= 10;
  } while (int_part != 0);
  std::size_t n = 0;
  if (neg) buf[n++] = '-';
  while (t > 0) buf[n++] = tmp[--t];
  buf[n++] = '.';
  for (int k = kDecimalPlaces - 1; k >= 0; --k) {
    buf[n + static_cast<std::size_t>(k)] = static_cast<char>('0' + frac % 10);
    frac /= 10;
  }
  return n + kDecimalPlaces;
}

std::string to_string_fixed(Fixed value) {
  char buf[kMaxFixedChars];
  return std::string(buf, format_fixed(value, buf));
}

}  // namespace tp
