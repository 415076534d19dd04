#include "core/decimal.hpp"

#include <bit>
#include <cstring>
#include <limits>

namespace tp {
namespace {

constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());

// Largest integer part of a representable value: INT64_MAX / 1e8.
constexpr uint64_t kMaxIntPart = kMax / static_cast<uint64_t>(kScale);  // 92233720368

// Eight ASCII digits -> their value in one SWAR step (the 8 fractional digits of every venue
// price), or false if any byte is not a digit. The byte order of the load must be little-endian.
static_assert(std::endian::native == std::endian::little, "eight_digits assumes a little-endian load");
inline bool eight_digits(const char* p, uint64_t& out) noexcept {
  uint64_t x;
  std::memcpy(&x, p, 8);
  const uint64_t d = x - 0x3030303030303030ull;
  // Every byte is a digit iff its high nibble is 3 and adding 6 keeps it 3 (0x3A..0x3F become 0x4_).
  if (((x & 0xF0F0F0F0F0F0F0F0ull) != 0x3030303030303030ull) ||
      (((x + 0x0606060606060606ull) & 0xF0F0F0F0F0F0F0F0ull) != 0x3030303030303030ull))
    return false;
  uint64_t v = d;
  v = (v * 10) + (v >> 8);
  v = (((v & 0x000000FF000000FFull) * (100 + (1000000ull << 32))) +
       (((v >> 16) & 0x000000FF000000FFull) * (1 + (10000ull << 32)))) >> 32;
  out = v;
  return true;
}

bool parse_magnitude(std::string_view s, uint64_t& out) noexcept {
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
