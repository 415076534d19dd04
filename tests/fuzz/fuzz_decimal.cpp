// libFuzzer target for core/decimal: parse_fixed / parse_fixed_signed on arbitrary bytes, and the
// round trip format -> parse on values taken from the input.
//  - whatever parses must format and parse back to the same value;
//  - an accepted string has only digits and at most one '.', with no non-zero digit past the 8th decimal;
//  - parse_fixed_signed agrees with parse_fixed on unsigned text and negates after a '-';
//  - for int64 values from the input bytes: parse_fixed_signed(format_fixed(x)) == x (x != INT64_MIN),
//    and mul_round / div_round_half_away satisfy the half-away-from-zero inequality.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string_view>

#include "core/types/decimal.hpp"

namespace {

void check(bool cond) {
  if (!cond) std::abort();
}

void round_trip(tp::Fixed x) {
  char buf[tp::kMaxFixedChars];
  const std::size_t n = tp::format_fixed(x, buf);
  check(n <= tp::kMaxFixedChars);
  const std::string_view s(buf, n);
  check(s.size() > 9 && s[s.size() - 9] == '.');
  tp::Fixed back = 0;
  if (x == std::numeric_limits<int64_t>::min()) {
    check(!tp::parse_fixed_signed(s, back));  // magnitude one past INT64_MAX
    return;
  }
  check(tp::parse_fixed_signed(s, back) && back == x);
  if (x >= 0) check(tp::parse_fixed(s, back) && back == x);
}

void half_away(tp::i128 num, tp::i128 den) {
  const tp::i128 q = tp::div_round_half_away(num, den);
  const tp::i128 rem = num - q * den;
  const tp::i128 twice = 2 * (rem < 0 ? -rem : rem);
  check(twice <= den);
  if (twice == den) check(num > 0 ? q * den > num : q * den < num);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  tp::Fixed v = 12345;
  if (tp::parse_fixed(text, v)) {
    check(v >= 0);
    int dots = 0;
    std::size_t dot_at = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '.') {
        ++dots;
        dot_at = i;
      } else {
        check(text[i] >= '0' && text[i] <= '9');
      }
    }
    check(dots <= 1 && text.front() != '.' && text.back() != '.');
    if (dots == 1)
      for (std::size_t i = dot_at + 9; i < text.size(); ++i) check(text[i] == '0');
    round_trip(v);
    tp::Fixed sv = 0;
    check(tp::parse_fixed_signed(text, sv) && sv == v);
  } else {
    check(v == 12345);  // untouched on failure
    tp::Fixed sv = 0;
    if (!text.empty() && text.front() != '-') check(!tp::parse_fixed_signed(text, sv));
  }
  if (!text.empty() && text.front() == '-') {
    tp::Fixed sv = 0, mag = 0;
    check(tp::parse_fixed_signed(text, sv) == tp::parse_fixed(text.substr(1), mag));
    if (tp::parse_fixed(text.substr(1), mag)) check(sv == -mag);
  }

  if (size >= 16) {
    int64_t a = 0, b = 0;
    std::memcpy(&a, data, 8);
    std::memcpy(&b, data + 8, 8);
    round_trip(a);
    round_trip(b);
    const tp::i128 exact = tp::mul_exact(a, b);
    half_away(exact, tp::kScale);
    if (b > 0) half_away(a, b);
    if (exact / tp::kScale < std::numeric_limits<int64_t>::max() &&
        exact / tp::kScale > std::numeric_limits<int64_t>::min()) {
      check(tp::mul_round(a, b) == static_cast<tp::Fixed>(tp::div_round_half_away(exact, tp::kScale)));
    }
    if (a >= 0 && b > 0) {
      const tp::Fixed f = tp::floor_to_step(a, b);
      check(f <= a && f % b == 0 && static_cast<tp::i128>(f) + b > a);
    }
  }
  return 0;
}
