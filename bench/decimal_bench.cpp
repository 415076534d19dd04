// tp::parse_fixed / tp::format_fixed against what a user would otherwise reach for, on real venue
// strings: every price and quantity field of the bookTicker (b, B, a, A) and trade (p, q) messages
// of tests/data/binance/spot_btcusdt_20240808_head400.txt, in message order (so half of them are
// prices like "61837.63000000" and half quantities like "0.02000000"; 343 distinct values), cycled.
//
// Parsers (string -> int64 in 1e-8 units; each is called through a non-inlined wrapper, so none is
// inlined into the loop; tp::parse_fixed lives in tp_core and the build has no LTO):
//   TpParseFixed     tp::parse_fixed (exact; SPEC §9.9 grammar).
//   NaiveLoop        a plain digit loop into int64 with the same grammar checks and overflow check
//                    (exact).
//   FromCharsInt     std::from_chars into uint64_t for the integer part and for up to 8 decimals,
//                    then a check that any further decimals are '0' (exact, same grammar).
//   FromCharsDouble  std::from_chars to double, then llround(d * 1e8). INEXACT: goes through a
//                    binary double, so values with 16 significant digits can come out one unit
//                    off (counter `inexact_16digit` below), and it has none of the grammar
//                    checks (accepts signs, exponents, "inf", a non-zero 9th decimal).
//   Strtod           strtod (needs a NUL-terminated string; locale-dependent), then llround(d * 1e8).
//                    Inexact, as above.
//   FastFloat        fast_float::from_chars (Debian libfast-float-dev, header only) to double, then
//                    llround(d * 1e8). Inexact, as above. Built only if <fast_float/fast_float.h> is
//                    installed.
// Formatters (int64 1e-8 units -> "I.FFFFFFFF"):
//   TpFormatFixed    tp::format_fixed.
//   Snprintf         snprintf("%.8f") of the equivalent double (value / 1e8, computed at setup).
//   ToCharsDouble    std::to_chars(double, chars_format::fixed, 8) of the same double.
//
// Args: 0 = all fields (the real mix), 1 = prices only (14 chars), 2 = quantities only (10 chars).
// One benchmark iteration = one call. Counters:
//   ns_per_call       real ns per call (1 / rate).
//   mismatches        fields of the corpus (checked at setup, outside timing) whose result differs
//                     from tp::parse_fixed's value (parsers), or whose text differs from the venue's
//                     own string (formatters, which all print 8 decimals, as Binance does).
//   inexact_16digit   parsers only: of 10,000 random values with 8 integer and 8 decimal digits
//                     ("12345678.12345678", integer part 10,000,000..89,999,999, so every exact value
//                     is below 2^53 units and a double could hold it), how many come out different
//                     from the exact value (checked at setup). 0 for the exact parsers.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#if __has_include(<fast_float/fast_float.h>)
#include <fast_float/fast_float.h>
#define TP_HAVE_FAST_FLOAT 1
#else
#define TP_HAVE_FAST_FLOAT 0
#endif

#include "core/types/decimal.hpp"

namespace {

using tp::Fixed;

// ---- corpus ------------------------------------------------------------------------------------

struct Corpus {
  std::string storage;                 // every string NUL-terminated (strtod needs it)
  std::vector<std::size_t> offsets;
  std::vector<std::string_view> views;
  std::vector<Fixed> values;           // tp::parse_fixed of each
  std::vector<double> doubles;         // values / 1e8
  std::size_t distinct = 0;
};

// Appends the string value of `"key":"..."` in `payload` (from `from`) to `out`; false if absent.
bool field(const std::string& payload, std::string_view key, std::vector<std::string>& out) {
  std::string needle(1, '"');  // built by appends: GCC 12 misreports "\"" + string (-Wrestrict)
  needle.append(key);
  needle.append("\":\"");
  const auto at = payload.find(needle);
  if (at == std::string::npos) return false;
  const auto begin = at + needle.size();
  const auto end = payload.find('"', begin);
  out.push_back(payload.substr(begin, end - begin));
  return true;
}

// which: 0 all, 1 prices, 2 quantities.
Corpus load(int which) {
  const std::string path = std::string(TP_SOURCE_DIR) + "/tests/data/binance/spot_btcusdt_20240808_head400.txt";
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::vector<std::string> strs;
  std::string line;
  while (std::getline(in, line)) {
    const std::string payload = line.substr(line.find(' ') + 1);
    const bool book = payload.find("\"stream\":\"btcusdt@bookTicker\"") != std::string::npos;
    const bool trade = payload.find("\"stream\":\"btcusdt@trade\"") != std::string::npos;
    if (!book && !trade) continue;
    bool ok = true;
    if (book) {
      if (which != 2) ok = ok && field(payload, "b", strs);
      if (which != 1) ok = ok && field(payload, "B", strs);
      if (which != 2) ok = ok && field(payload, "a", strs);
      if (which != 1) ok = ok && field(payload, "A", strs);
    } else {
      if (which != 2) ok = ok && field(payload, "p", strs);
      if (which != 1) ok = ok && field(payload, "q", strs);
    }
    if (!ok) throw std::runtime_error("field missing in " + payload);
  }
  if (strs.empty()) throw std::runtime_error("no fields");
  Corpus c;
  for (const auto& s : strs) {
    c.offsets.push_back(c.storage.size());
    c.storage += s;
    c.storage.push_back('\0');
  }
  for (std::size_t i = 0; i < strs.size(); ++i) {
    c.views.emplace_back(c.storage.data() + c.offsets[i], strs[i].size());
    Fixed v = 0;
    if (!tp::parse_fixed(c.views.back(), v)) throw std::runtime_error("parse_fixed rejects " + strs[i]);
    c.values.push_back(v);
    c.doubles.push_back(static_cast<double>(v) / 1e8);
  }
  std::vector<std::string> sorted = strs;
  std::sort(sorted.begin(), sorted.end());
  c.distinct = static_cast<std::size_t>(std::unique(sorted.begin(), sorted.end()) - sorted.begin());
  return c;
}

const Corpus& corpus(int which) {
  static const Corpus all = load(0);
  static const Corpus prices = load(1);
  static const Corpus qtys = load(2);
  return which == 0 ? all : which == 1 ? prices : qtys;
}

// Random "DDDDDDDD.DDDDDDDD" strings (values below 2^53 units) and their exact values.
struct Hard {
  std::vector<std::string> strs;
  std::vector<Fixed> values;
};
const Hard& hard_values() {
  static const Hard h = [] {
    Hard r;
    std::mt19937_64 rng(42);
    std::uniform_int_distribution<int64_t> ip(10'000'000, 89'999'999), fp(0, 99'999'999);
    for (int i = 0; i < 10'000; ++i) {
      const int64_t a = ip(rng), b = fp(rng);
      char buf[32];
      std::snprintf(buf, sizeof buf, "%lld.%08lld", static_cast<long long>(a), static_cast<long long>(b));
      r.strs.emplace_back(buf);
      r.values.push_back(a * tp::kScale + b);
    }
    return r;
  }();
  return h;
}

// ---- parsers -----------------------------------------------------------------------------------

[[gnu::noinline]] bool tp_parse(std::string_view s, Fixed& out) noexcept { return tp::parse_fixed(s, out); }

// The loop a careful user writes: [0-9]+(\.[0-9]+)?, at most 8 significant decimals, zeros after
// them allowed, overflow checked.
[[gnu::noinline]] bool naive_loop(std::string_view s, Fixed& out) noexcept {
  constexpr int64_t kMax = INT64_MAX;
  std::size_t i = 0;
  const std::size_t n = s.size();
  int64_t v = 0;
  for (; i < n && s[i] >= '0' && s[i] <= '9'; ++i) {
    const int d = s[i] - '0';
    if (v > (kMax / tp::kScale - d) / 10) return false;  // v * 10 + d must stay <= kMax / kScale
    v = v * 10 + d;
  }
  if (i == 0) return false;
  v *= tp::kScale;
  if (i < n) {
    if (s[i] != '.' || i + 1 == n) return false;
    ++i;
    int64_t place = tp::kScale / 10;
    int64_t frac = 0;
    for (; i < n; ++i) {
      const char c = s[i];
      if (c < '0' || c > '9') return false;
      if (place == 0) {
        if (c != '0') return false;
        continue;
      }
      frac += (c - '0') * place;
      place /= 10;
    }
    if (v > kMax - frac) return false;
    v += frac;
  }
  out = v;
  return true;
}

constexpr uint64_t kPow10[9] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};

[[gnu::noinline]] bool from_chars_int(std::string_view s, Fixed& out) noexcept {
  const char* p = s.data();
  const char* const end = p + s.size();
  if (p == end || *p < '0' || *p > '9') return false;  // no sign, no leading space
  uint64_t ip = 0;
  auto r = std::from_chars(p, end, ip);
  if (r.ec != std::errc{}) return false;
  p = r.ptr;
  uint64_t frac = 0;
  if (p != end) {
    if (*p != '.' || p + 1 == end || p[1] < '0' || p[1] > '9') return false;
    ++p;
    const char* const frac_end = end - p > 8 ? p + 8 : end;
    r = std::from_chars(p, frac_end, frac);
    if (r.ec != std::errc{}) return false;
    const auto digits = static_cast<std::size_t>(r.ptr - p);
    frac *= kPow10[8 - digits];
    p = r.ptr;
    if (digits == 8)
      for (; p != end; ++p)
        if (*p != '0') return false;
    if (p != end) return false;
  }
  constexpr uint64_t kMax = INT64_MAX;
  if (ip > (kMax - frac) / tp::kScale) return false;
  out = static_cast<Fixed>(ip * tp::kScale + frac);
  return true;
}

inline bool scale(double d, Fixed& out) noexcept {
  out = std::llround(d * 1e8);
  return true;
}

[[gnu::noinline]] bool from_chars_double(std::string_view s, Fixed& out) noexcept {
  double d = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), d);
  if (r.ec != std::errc{} || r.ptr != s.data() + s.size()) return false;
  return scale(d, out);
}

// s.data()[s.size()] must be '\0'.
[[gnu::noinline]] bool strtod_parse(std::string_view s, Fixed& out) noexcept {
  char* end = nullptr;
  const double d = std::strtod(s.data(), &end);
  if (end != s.data() + s.size()) return false;
  return scale(d, out);
}

#if TP_HAVE_FAST_FLOAT
[[gnu::noinline]] bool fast_float_parse(std::string_view s, Fixed& out) noexcept {
  double d = 0;
  const auto r = fast_float::from_chars(s.data(), s.data() + s.size(), d);
  if (r.ec != std::errc{} || r.ptr != s.data() + s.size()) return false;
  return scale(d, out);
}
#endif

using ParseFn = bool (*)(std::string_view, Fixed&) noexcept;

void parse_bench(benchmark::State& state, ParseFn parse) {
  const Corpus& c = corpus(static_cast<int>(state.range(0)));
  // Correctness, outside timing.
  uint64_t mismatches = 0;
  for (std::size_t i = 0; i < c.views.size(); ++i) {
    Fixed v = 0;
    if (!parse(c.views[i], v) || v != c.values[i]) ++mismatches;
  }
  uint64_t inexact = 0;
  const Hard& h = hard_values();
  for (std::size_t i = 0; i < h.strs.size(); ++i) {
    Fixed v = 0;
    if (!parse(h.strs[i], v) || v != h.values[i]) ++inexact;
  }

  const std::string_view* views = c.views.data();
  const std::size_t n = c.views.size();
  std::size_t i = 0;
  uint64_t failures = 0;
  Fixed sum = 0;
  for (auto _ : state) {
    Fixed v = 0;
    if (!parse(views[i], v)) ++failures;
    sum += v;
    if (++i == n) i = 0;
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations());
  state.counters["ns_per_call"] = benchmark::Counter(static_cast<double>(state.iterations()),
                                                     benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["mismatches"] = static_cast<double>(mismatches);
  state.counters["inexact_16digit"] = static_cast<double>(inexact);
  state.counters["fields"] = static_cast<double>(n);
  state.counters["distinct"] = static_cast<double>(c.distinct);
  if (failures != 0) state.SkipWithError("a field failed to parse");
}

// ---- formatters --------------------------------------------------------------------------------

[[gnu::noinline]] std::size_t tp_format(Fixed v, double, char* buf) noexcept { return tp::format_fixed(v, buf); }

[[gnu::noinline]] std::size_t snprintf_format(Fixed, double d, char* buf) noexcept {
  return static_cast<std::size_t>(std::snprintf(buf, 32, "%.8f", d));
}

[[gnu::noinline]] std::size_t to_chars_format(Fixed, double d, char* buf) noexcept {
  const auto r = std::to_chars(buf, buf + 32, d, std::chars_format::fixed, 8);
  return static_cast<std::size_t>(r.ptr - buf);
}

using FormatFn = std::size_t (*)(Fixed, double, char*) noexcept;

void format_bench(benchmark::State& state, FormatFn format) {
  const Corpus& c = corpus(static_cast<int>(state.range(0)));
  uint64_t mismatches = 0;
  char buf[32];
  for (std::size_t i = 0; i < c.views.size(); ++i) {
    const std::size_t len = format(c.values[i], c.doubles[i], buf);
    if (std::string_view(buf, len) != c.views[i]) ++mismatches;
  }

  const Fixed* values = c.values.data();
  const double* doubles = c.doubles.data();
  const std::size_t n = c.values.size();
  std::size_t i = 0;
  std::size_t total = 0;
  for (auto _ : state) {
    total += format(values[i], doubles[i], buf);
    benchmark::DoNotOptimize(buf);
    if (++i == n) i = 0;
  }
  benchmark::DoNotOptimize(total);
  state.SetItemsProcessed(state.iterations());
  state.counters["ns_per_call"] = benchmark::Counter(static_cast<double>(state.iterations()),
                                                     benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["mismatches"] = static_cast<double>(mismatches);
  state.counters["fields"] = static_cast<double>(n);
}

void BM_Parse_TpParseFixed(benchmark::State& s) { parse_bench(s, tp_parse); }
void BM_Parse_NaiveLoop(benchmark::State& s) { parse_bench(s, naive_loop); }
void BM_Parse_FromCharsInt(benchmark::State& s) { parse_bench(s, from_chars_int); }
void BM_Parse_FromCharsDouble(benchmark::State& s) { parse_bench(s, from_chars_double); }
void BM_Parse_Strtod(benchmark::State& s) { parse_bench(s, strtod_parse); }
#if TP_HAVE_FAST_FLOAT
void BM_Parse_FastFloat(benchmark::State& s) { parse_bench(s, fast_float_parse); }
#endif
void BM_Format_TpFormatFixed(benchmark::State& s) { format_bench(s, tp_format); }
void BM_Format_Snprintf(benchmark::State& s) { format_bench(s, snprintf_format); }
void BM_Format_ToCharsDouble(benchmark::State& s) { format_bench(s, to_chars_format); }

}  // namespace

#define TP_DECIMAL_ARGS ->ArgName("fields")->Arg(0)->Arg(1)->Arg(2)
BENCHMARK(BM_Parse_TpParseFixed) TP_DECIMAL_ARGS;
BENCHMARK(BM_Parse_NaiveLoop) TP_DECIMAL_ARGS;
BENCHMARK(BM_Parse_FromCharsInt) TP_DECIMAL_ARGS;
BENCHMARK(BM_Parse_FromCharsDouble) TP_DECIMAL_ARGS;
BENCHMARK(BM_Parse_Strtod) TP_DECIMAL_ARGS;
#if TP_HAVE_FAST_FLOAT
BENCHMARK(BM_Parse_FastFloat) TP_DECIMAL_ARGS;
#endif
BENCHMARK(BM_Format_TpFormatFixed) TP_DECIMAL_ARGS;
BENCHMARK(BM_Format_Snprintf) TP_DECIMAL_ARGS;
BENCHMARK(BM_Format_ToCharsDouble) TP_DECIMAL_ARGS;

BENCHMARK_MAIN();
