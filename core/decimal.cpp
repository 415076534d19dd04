#include "core/decimal.hpp"

#include <limits>

namespace tp {
namespace {

constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());

// Accumulates into an unsigned value with an explicit overflow check per digit; the magnitude
// limit is INT64_MAX (a negative result is formed by negation, so -INT64_MAX is the floor).
bool parse_magnitude(std::string_view s, uint64_t& out) noexcept {
  const std::size_t n = s.size();
  std::size_t i = 0;
  uint64_t int_part = 0;
  if (n == 0) return false;
  while (i < n && s[i] >= '0' && s[i] <= '9') {
    const uint64_t d = static_cast<uint64_t>(s[i] - '0');
    if (int_part > (kMax - d) / 10) return false;
    int_part = int_part * 10 + d;
    ++i;
  }
  if (i == 0) return false;  // no integer digits ("", ".5", "+1", "-1", " 1")
  uint64_t frac = 0;
  int frac_digits = 0;
  if (i < n) {
    if (s[i] != '.') return false;
    ++i;
    if (i == n) return false;  // "1." has no fractional digits
    for (; i < n; ++i) {
      const char c = s[i];
      if (c < '0' || c > '9') return false;
      if (frac_digits < kDecimalPlaces) {
        frac = frac * 10 + static_cast<uint64_t>(c - '0');
        ++frac_digits;
      } else if (c != '0') {
        return false;  // a non-zero digit past 1e-8 cannot be represented exactly
      }
    }
  }
  for (; frac_digits < kDecimalPlaces; ++frac_digits) frac *= 10;
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
