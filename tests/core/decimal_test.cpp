// Fixed-point decimal (core/types/decimal.hpp): SPEC §1 and §9.9.
//
// The property tests check the implementation against references written independently here:
//  - products: schoolbook long multiplication on decimal digit strings, rounded half away from
//    zero by looking at the 9th fractional digit of the exact product's string;
//  - division: the defining inequality of round-half-away-from-zero, checked exactly;
//  - parsing: strings assembled digit by digit from a value chosen first;
//  - formatting: std::to_string of the integer and fractional parts.
#include "core/types/decimal.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace tp {
namespace {

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

// ---- independent helpers -------------------------------------------------------------------------

// Decimal digits of |v| (no sign, no leading zeros; "0" for zero), via std::to_string only.
std::string magnitude_digits(int64_t v) {
  if (v == kMin) return "9223372036854775808";
  return std::to_string(v < 0 ? -v : v);
}

// Schoolbook product of two non-negative decimal digit strings.
std::string mul_digit_strings(const std::string& a, const std::string& b) {
  std::vector<int> acc(a.size() + b.size(), 0);
  for (std::size_t i = a.size(); i-- > 0;) {
    for (std::size_t j = b.size(); j-- > 0;) acc[i + j + 1] += (a[i] - '0') * (b[j] - '0');
  }
  for (std::size_t k = acc.size(); k-- > 1;) {
    acc[k - 1] += acc[k] / 10;
    acc[k] %= 10;
  }
  std::string out;
  for (int d : acc) out.push_back(static_cast<char>('0' + d));
  const auto nz = out.find_first_not_of('0');
  return nz == std::string::npos ? "0" : out.substr(nz);
}

// Adds one to a non-negative decimal digit string.
std::string increment(std::string s) {
  for (std::size_t i = s.size(); i-- > 0;) {
    if (s[i] != '9') {
      ++s[i];
      return s;
    }
    s[i] = '0';
  }
  return std::string("1") + s;
}

// Reference for mul_round: the exact product has 16 fractional digits (1e-8 * 1e-8); keep 8 and
// round half away from zero by the first dropped digit. Returns "[-]digits" in 1e-8 units.
std::string ref_mul_round(int64_t a, int64_t b) {
  const std::string prod = mul_digit_strings(magnitude_digits(a), magnitude_digits(b));  // 1e-16 units
  std::string kept = prod.size() > 8 ? prod.substr(0, prod.size() - 8) : "0";
  const char first_dropped = prod.size() >= 8 ? prod[prod.size() - 8] : '0';
  if (first_dropped >= '5') kept = increment(kept);
  const auto nz = kept.find_first_not_of('0');
  kept = nz == std::string::npos ? "0" : kept.substr(nz);
  const bool neg = (a < 0) != (b < 0);
  return std::string(neg && kept != "0" ? "-" : "") + kept;
}

std::string int_string(int64_t v) { return std::string(v < 0 ? "-" : "") + magnitude_digits(v); }

// Reference formatting: integer part and 8 zero-padded fractional digits from std::to_string.
std::string ref_format(int64_t v) {
  const std::string mag = magnitude_digits(v);
  const std::string padded = std::string(mag.size() < 9 ? 9 - mag.size() : 0, '0') + mag;
  return std::string(v < 0 ? "-" : "") + padded.substr(0, padded.size() - 8) + "." + padded.substr(padded.size() - 8);
}

std::string fmt(int64_t v) {
  char buf[kMaxFixedChars];
  const std::size_t n = format_fixed(v, buf);
  EXPECT_LE(n, kMaxFixedChars);
  return std::string(buf, n);
}

// i128 -> decimal string (for messages).
std::string i128_string(i128 v) {
  if (v == 0) return "0";
  const bool neg = v < 0;
  std::string s;
  while (v != 0) {
    const int d = static_cast<int>(v % 10);
    s.push_back(static_cast<char>('0' + (d < 0 ? -d : d)));
    v /= 10;
  }
  if (neg) s.push_back('-');
  std::reverse(s.begin(), s.end());
  return s;
}

// A random int64 whose magnitude has a random number of digits, 1..max_digits <= 18 (so small and
// large values both come up).
int64_t random_fixed(std::mt19937_64& rng, int max_digits = 18, bool allow_negative = true) {
  max_digits = std::min(max_digits, 18);
  const int digits = std::uniform_int_distribution<int>(1, max_digits)(rng);
  int64_t bound = 1;
  for (int i = 0; i < digits; ++i) bound *= 10;
  int64_t v = std::uniform_int_distribution<int64_t>(0, bound - 1)(rng);
  if (allow_negative && (rng() & 1)) v = -v;
  return v;
}

// ---- grammar (SPEC §9.9) ---------------------------------------------------------------------------

struct GrammarCase {
  std::string_view text;
  bool ok;
  int64_t value;
};

TEST(DecimalParse, GrammarTable) {
  const GrammarCase cases[] = {
      {"0", true, 0},
      {"0.0", true, 0},
      {"1", true, 100'000'000},
      {"01", true, 100'000'000},
      {"000000000000000000000000001", true, 100'000'000},  // leading zeros do not overflow
      {"25.35190000", true, 2'535'190'000},
      {"0.00000001", true, 1},
      {"0.1", true, 10'000'000},
      {"61837.63000000", true, 6'183'763'000'000},
      {"1.123456780", true, 112'345'678},       // a zero 9th decimal is fine
      {"1.12345678000000000000", true, 112'345'678},
      {"92233720368.54775807", true, kMax},       // INT64_MAX exactly
      {"92233720368.547758070", true, kMax},
      {"92233720368", true, 9'223'372'036'800'000'000},
      {"", false, 0},
      {"-1", false, 0},
      {"+1", false, 0},
      {"-0", false, 0},
      {"1e5", false, 0},
      {"1E5", false, 0},
      {"1.5e-3", false, 0},
      {" 1", false, 0},
      {"1 ", false, 0},
      {"1. 5", false, 0},
      {".5", false, 0},
      {"1.", false, 0},
      {".", false, 0},
      {"1..5", false, 0},
      {"1.2.3", false, 0},
      {"1,5", false, 0},
      {"0x1A", false, 0},
      {"NaN", false, 0},
      {"inf", false, 0},
      {"1.000000001", false, 0},   // non-zero 9th decimal
      {"0.000000005", false, 0},
      {"1.0000000000000000001", false, 0},
      {"92233720368.54775808", false, 0},  // INT64_MAX + 1 raw unit
      {"92233720369", false, 0},
      {"99999999999999999999", false, 0},
      {"18446744073709551616", false, 0},
      {"184467440737.09551616", false, 0},
      {std::string_view("1\0", 2), false, 0},
      {"\"1\"", false, 0},
  };
  for (const GrammarCase& c : cases) {
    Fixed v = -777;
    EXPECT_EQ(parse_fixed(c.text, v), c.ok) << "'" << c.text << "'";
    if (c.ok) {
      EXPECT_EQ(v, c.value) << c.text;
    } else {
      EXPECT_EQ(v, -777) << "output changed on failure: " << c.text;
    }
  }
}

TEST(DecimalParse, SignedAllowsOnlyALeadingMinus) {
  Fixed v = 0;
  EXPECT_TRUE(parse_fixed_signed("-1.5", v));
  EXPECT_EQ(v, -150'000'000);
  EXPECT_TRUE(parse_fixed_signed("2.25", v));
  EXPECT_EQ(v, 225'000'000);
  EXPECT_TRUE(parse_fixed_signed("-0", v));
  EXPECT_EQ(v, 0);
  EXPECT_TRUE(parse_fixed_signed("-92233720368.54775807", v));
  EXPECT_EQ(v, -kMax);
  v = 5;
  for (std::string_view bad : {"", "-", "--1", "+1", "-+1", "- 1", "-.5", "-1.", "1-", "-1e2",
                               "-92233720368.54775808", "-0.000000001"}) {
    EXPECT_FALSE(parse_fixed_signed(bad, v)) << bad;
    EXPECT_EQ(v, 5) << bad;
  }
}

// Random valid strings assembled digit by digit from a value chosen first; and the same strings
// made invalid by a non-zero digit past the 8th decimal or by pushing the value past INT64_MAX.
TEST(DecimalParse, RandomDigitStringsAgainstChosenValue) {
  std::mt19937_64 rng(20240808);
  for (int iter = 0; iter < 200'000; ++iter) {
    // Integer part up to 92233720368 (the int64 limit's integer part), fraction 0..99999999.
    const int64_t int_part = std::uniform_int_distribution<int64_t>(0, 92'233'720'368)(rng) >>
                             std::uniform_int_distribution<int>(0, 36)(rng);
    static constexpr int64_t kPow10[] = {1, 10, 100, 1'000, 10'000, 100'000, 1'000'000, 10'000'000};
    // Fewer significant fractional digits on most iterations (a multiple of 10^k).
    const int64_t frac = std::uniform_int_distribution<int64_t>(0, 99'999'999)(rng) / kPow10[iter % 8] *
                         kPow10[iter % 8];
    std::string text = std::string(rng() % 3, '0') + std::to_string(int_part);
    const std::string frac8 = std::string(8 - std::to_string(frac).size(), '0') + std::to_string(frac);
    // Fraction written with 0..8 significant digits kept, then 0..4 extra zeros.
    std::string frac_text = frac8;
    while (!frac_text.empty() && frac_text.back() == '0' && (rng() & 1)) frac_text.pop_back();
    frac_text += std::string(rng() % 5, '0');
    const bool with_frac = !frac_text.empty() && (frac != 0 || (rng() & 1));
    if (with_frac) {
      text += '.';
      text += frac_text;
    }
    const i128 expected = static_cast<i128>(int_part) * kScale + (with_frac ? frac : 0);
    Fixed v = -1;
    const bool ok = parse_fixed(text, v);
    ASSERT_EQ(ok, expected <= kMax) << text;
    if (ok) {
      ASSERT_EQ(v, static_cast<int64_t>(expected)) << text;
    }
    // Signed variant agrees, also with a minus sign.
    Fixed sv = -1;
    ASSERT_EQ(parse_fixed_signed(text, sv), ok) << text;
    if (ok) {
      ASSERT_EQ(sv, v);
      ASSERT_TRUE(parse_fixed_signed(std::string("-") + text, sv)) << text;
      ASSERT_EQ(sv, -v);
    }
    // A non-zero digit anywhere past the 8th decimal rejects the string.
    std::string nine = text.find('.') == std::string::npos ? text + "." : text;
    const std::size_t decimals = nine.size() - nine.find('.') - 1;
    if (decimals < 8) nine += std::string(8 - decimals, '0');
    nine += std::string(rng() % 3, '0') + static_cast<char>('1' + rng() % 9) + std::string(rng() % 3, '0');
    Fixed untouched = 123;
    ASSERT_FALSE(parse_fixed(nine, untouched)) << nine;
    ASSERT_EQ(untouched, 123);
  }
}

TEST(DecimalParse, BoundaryAroundInt64Max) {
  // Every value within 1000 raw units of INT64_MAX, written out by hand (integer . 8 digits).
  for (int64_t delta = -1000; delta <= 1000; ++delta) {
    const i128 raw = static_cast<i128>(kMax) + delta;
    const i128 ip = raw / kScale, fp = raw % kScale;
    std::string f = i128_string(fp);
    f = std::string(8 - f.size(), '0') + f;
    const std::string text = i128_string(ip) + "." + f;
    Fixed v = 0;
    ASSERT_EQ(parse_fixed(text, v), delta <= 0) << text;
    if (delta <= 0) {
      ASSERT_EQ(v, static_cast<int64_t>(raw));
    }
  }
}

// Reference for the grammar, written directly from SPEC §9.9: [0-9]+(\.[0-9]+)?, no non-zero digit
// past the 8th decimal, the value at most INT64_MAX (accumulated in i128, digit by digit).
bool ref_parse(std::string_view s, int64_t& out) {
  const std::size_t dot = s.find('.');
  const std::string_view ip = s.substr(0, dot);
  const std::string_view fp = dot == std::string_view::npos ? std::string_view() : s.substr(dot + 1);
  if (ip.empty() || (dot != std::string_view::npos && fp.empty())) return false;
  for (char c : ip)
    if (c < '0' || c > '9') return false;
  for (char c : fp)
    if (c < '0' || c > '9') return false;
  for (std::size_t i = 8; i < fp.size(); ++i)
    if (fp[i] != '0') return false;
  i128 v = 0;
  for (char c : ip) {
    v = v * 10 + (c - '0');
    if (v > kMax) return false;
  }
  for (std::size_t i = 0; i < 8; ++i) v = v * 10 + (i < fp.size() ? fp[i] - '0' : 0);
  if (v > kMax) return false;
  out = static_cast<int64_t>(v);
  return true;
}

// The shape of Binance spot prices and quantities, "I{1..8}.FFFFFFFF", has its own two-load path:
// every byte value at every position of strings of that shape (and one byte longer or shorter) must
// be judged as the reference judges it.
TEST(DecimalParse, SpotShapeEveryByteAtEveryPosition) {
  for (const std::string base : {"61837.63000000", "0.00000001", "12345678.87654321", "123456789.12345678",
                                 "1.5000000", "9.999999999", "99999999.99999999"}) {
    for (std::size_t pos = 0; pos < base.size(); ++pos) {
      for (int b = 0; b < 256; ++b) {
        std::string text = base;
        text[pos] = static_cast<char>(b);
        int64_t want = 0;
        const bool ok = ref_parse(text, want);
        Fixed got = -5;
        ASSERT_EQ(parse_fixed(text, got), ok) << text;
        ASSERT_EQ(got, ok ? want : -5) << text;
      }
    }
  }
}

// Strings of every length 1..20 over a small alphabet (digits, '.', and the bytes next to '0' and
// '9'), against the reference.
TEST(DecimalParse, RandomShortStringsAgainstReference) {
  std::mt19937_64 rng(9009);
  constexpr std::string_view kAlphabet = "0123456789012345678900000.../:";
  for (int iter = 0; iter < 300'000; ++iter) {
    const std::size_t len = 1 + rng() % 20;
    std::string text(len, '0');
    for (char& c : text) c = kAlphabet[rng() % kAlphabet.size()];
    if (rng() % 2 && len > 9) text[len - 9] = '.';  // the spot shape, more often
    int64_t want = 0;
    const bool ok = ref_parse(text, want);
    Fixed got = -5;
    ASSERT_EQ(parse_fixed(text, got), ok) << text;
    ASSERT_EQ(got, ok ? want : -5) << text;
  }
}

// ---- format ------------------------------------------------------------------------------------

TEST(DecimalFormat, ExactValues) {
  EXPECT_EQ(fmt(0), "0.00000000");
  EXPECT_EQ(fmt(1), "0.00000001");
  EXPECT_EQ(fmt(-1), "-0.00000001");
  EXPECT_EQ(fmt(100'000'000), "1.00000000");
  EXPECT_EQ(fmt(-150'000'000), "-1.50000000");
  EXPECT_EQ(fmt(2'535'190'000), "25.35190000");
  EXPECT_EQ(fmt(6'183'763'000'000), "61837.63000000");
  EXPECT_EQ(fmt(kMax), "92233720368.54775807");
  EXPECT_EQ(fmt(kMin), "-92233720368.54775808");
  EXPECT_EQ(fmt(kMin).size(), kMaxFixedChars);
  EXPECT_EQ(fmt(-kMax), "-92233720368.54775807");
  EXPECT_EQ(to_string_fixed(-99'999'999), "-0.99999999");
  EXPECT_EQ(to_string_fixed(kMin), "-92233720368.54775808");
}

TEST(DecimalFormat, RandomAgainstReferenceAndRoundTrip) {
  std::mt19937_64 rng(7);
  for (int iter = 0; iter < 200'000; ++iter) {
    int64_t x = iter < 100'000 ? random_fixed(rng, 18) : static_cast<int64_t>(rng());
    if (x == kMin) x = kMax;
    const std::string s = fmt(x);
    ASSERT_EQ(s, ref_format(x)) << x;
    ASSERT_EQ(to_string_fixed(x), s);
    Fixed back = 0;
    ASSERT_TRUE(parse_fixed_signed(s, back)) << s;
    ASSERT_EQ(back, x) << s;
    if (x >= 0) {
      ASSERT_TRUE(parse_fixed(s, back)) << s;
      ASSERT_EQ(back, x);
    } else {
      ASSERT_FALSE(parse_fixed(s, back)) << s;  // unsigned grammar: no sign
    }
  }
  // INT64_MIN formats, but its magnitude is one past what the parser accepts (documented limit).
  Fixed back = 0;
  EXPECT_FALSE(parse_fixed_signed(fmt(kMin), back));
}

// ---- products and division ---------------------------------------------------------------------

TEST(DecimalMul, ExactValues) {
  EXPECT_EQ(mul_exact(150'000'000, 200'000'000), static_cast<i128>(3) * kScale * kScale);
  EXPECT_EQ(mul_round(150'000'000, 200'000'000), 300'000'000);    // 1.5 * 2 = 3
  EXPECT_EQ(mul_round(5, 10'000'000), 1);                         // 0.5e-8 -> 1e-8 (half away)
  EXPECT_EQ(mul_round(-5, 10'000'000), -1);
  EXPECT_EQ(mul_round(5, -10'000'000), -1);
  EXPECT_EQ(mul_round(-5, -10'000'000), 1);
  EXPECT_EQ(mul_round(4, 10'000'000), 0);                         // 0.4e-8 -> 0
  EXPECT_EQ(mul_round(-4, 10'000'000), 0);
  EXPECT_EQ(mul_round(1, 1), 0);
  EXPECT_EQ(mul_round(6'183'763'000'000, 2'000'000), 123'675'260'000);  // 61837.63 * 0.02 = 1236.7526
  EXPECT_EQ(mul_round(kMax, 100'000'000), kMax);                  // x * 1 = x
  EXPECT_EQ(mul_round(kMin, 100'000'000), kMin);
  static_assert(mul_round(250'000'000, 250'000'000) == 625'000'000);  // usable in constant expressions
  static_assert(div_round_half_away(-15, 10) == -2 && div_round_half_away(15, 10) == 2);
  static_assert(div_round_half_away(-14, 10) == -1 && div_round_half_away(14, 10) == 1);
}

TEST(DecimalMul, RandomPairsAgainstLongMultiplication) {
  std::mt19937_64 rng(42);
  int checked = 0;
  for (int iter = 0; iter < 300'000; ++iter) {
    const int64_t a = random_fixed(rng, 18);
    const int64_t b = random_fixed(rng, 18);
    const i128 exact = mul_exact(a, b);
    std::string ref_exact((a < 0) != (b < 0) && a != 0 && b != 0 ? "-" : "");
    ref_exact += mul_digit_strings(magnitude_digits(a), magnitude_digits(b));
    ASSERT_EQ(i128_string(exact), ref_exact);
    // Only pairs whose rounded product fits int64 (the documented precondition).
    if (exact / kScale > kMax - 1 || exact / kScale < kMin + 1) continue;
    ASSERT_EQ(int_string(mul_round(a, b)), ref_mul_round(a, b)) << a << " * " << b;
    ++checked;
  }
  EXPECT_GT(checked, 100'000);
}

// Products that land exactly halfway between two 1e-8 steps, for all four sign combinations.
TEST(DecimalMul, HalfwayCasesRoundAwayFromZero) {
  std::mt19937_64 rng(5);
  for (int iter = 0; iter < 100'000; ++iter) {
    // a = 5 * odd, b = 1e7 * odd: a * b = 5e7 * odd * odd, i.e. ...5 followed by 7 zeros in 1e-16.
    const int64_t oa = 2 * std::uniform_int_distribution<int64_t>(0, 1'000'000'000)(rng) + 1;
    const int64_t ob = 2 * std::uniform_int_distribution<int64_t>(0, 50'000)(rng) + 1;
    int64_t a = 5 * oa, b = 10'000'000 * ob;
    if (rng() & 1) std::swap(a, b);
    if (rng() & 1) a = -a;
    if (rng() & 1) b = -b;
    const std::string ref = ref_mul_round(a, b);
    const i128 exact = mul_exact(a, b);
    ASSERT_EQ(exact % kScale, (exact < 0 ? -1 : 1) * 50'000'000) << "not a halfway case";
    ASSERT_EQ(int_string(mul_round(a, b)), ref) << a << " * " << b;
    // Away from zero: the magnitude is the truncated magnitude plus one.
    const i128 mag = exact < 0 ? -exact : exact;
    const int64_t r = mul_round(a, b);
    ASSERT_EQ(static_cast<i128>(r < 0 ? -r : r), mag / kScale + 1);
    // One raw unit either side of halfway rounds to nearest.
    ASSERT_EQ(div_round_half_away(exact + 1, kScale), exact > 0 ? exact / kScale + 1 : exact / kScale);
    ASSERT_EQ(div_round_half_away(exact - 1, kScale), exact > 0 ? exact / kScale : exact / kScale - 1);
  }
}

// div_round_half_away checked against its definition: |num - q*den| * 2 <= den, and on a tie
// (== den) q is the candidate farther from zero.
void expect_half_away(i128 num, i128 den) {
  const i128 q = div_round_half_away(num, den);
  const i128 rem = num - q * den;
  const i128 twice = 2 * (rem < 0 ? -rem : rem);
  ASSERT_LE(twice, den) << i128_string(num) << " / " << i128_string(den) << " -> " << i128_string(q);
  if (twice == den) {
    // q*den is beyond num, away from zero.
    if (num > 0) {
      ASSERT_GT(q * den, num);
    } else {
      ASSERT_LT(q * den, num);
    }
  }
}

TEST(DecimalDiv, RandomAgainstDefinitionBothSigns) {
  std::mt19937_64 rng(99);
  for (int iter = 0; iter < 300'000; ++iter) {
    const i128 num = static_cast<i128>(random_fixed(rng, 18)) * random_fixed(rng, 18);
    const i128 den = std::uniform_int_distribution<int64_t>(1, iter % 2 ? 1'000 : kMax)(rng);
    expect_half_away(num, den);
    expect_half_away(-num, den);
  }
  // Exact halves with even denominators, both signs.
  for (int iter = 0; iter < 100'000; ++iter) {
    const i128 den = 2 * std::uniform_int_distribution<int64_t>(1, 1'000'000'000'000)(rng);
    const i128 k = random_fixed(rng, 18);
    const i128 num = k * den + den / 2;
    expect_half_away(num, den);
    expect_half_away(-num, den);
    ASSERT_EQ(div_round_half_away(num, den), num > 0 ? k + 1 : k) << i128_string(num);
  }
  EXPECT_EQ(div_round_half_away(0, 7), 0);
  EXPECT_EQ(div_round_half_away(7, 1), 7);
  EXPECT_EQ(div_round_half_away(-7, 1), -7);
  EXPECT_EQ(div_round_half_away(1, 2), 1);
  EXPECT_EQ(div_round_half_away(-1, 2), -1);
  EXPECT_EQ(div_round_half_away(1, 3), 0);
  EXPECT_EQ(div_round_half_away(-2, 3), -1);
}

// ---- floor_to_step -----------------------------------------------------------------------------

TEST(DecimalFloorToStep, ExactAndRandom) {
  EXPECT_EQ(floor_to_step(123'456'789, 100'000), 123'400'000);  // 1.23456789 to a 0.001 step
  EXPECT_EQ(floor_to_step(123'400'000, 100'000), 123'400'000);  // already a multiple
  EXPECT_EQ(floor_to_step(99'999, 100'000), 0);
  EXPECT_EQ(floor_to_step(0, 1), 0);
  EXPECT_EQ(floor_to_step(kMax, 1), kMax);
  EXPECT_EQ(floor_to_step(kMax, kMax), kMax);
  std::mt19937_64 rng(3);
  for (int iter = 0; iter < 200'000; ++iter) {
    const int64_t v = random_fixed(rng, 18, false);
    const int64_t step = std::max<int64_t>(1, random_fixed(rng, 1 + static_cast<int>(rng() % 12), false));
    const int64_t r = floor_to_step(v, step);
    ASSERT_EQ(r % step, 0);
    ASSERT_LE(r, v);
    ASSERT_GT(static_cast<i128>(r) + step, v) << v << " step " << step;
    ASSERT_GE(r, 0);
  }
}

}  // namespace
}  // namespace tp
