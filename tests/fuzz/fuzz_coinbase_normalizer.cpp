// libFuzzer target: CoinbaseNormalizer::normalize and parse_iso8601_utc_ns on arbitrary bytes.
// The input is copied into a buffer of exactly size + kPayloadPadding bytes (the Message contract),
// so AddressSanitizer reports any read past the padding. Checks: no crash, exactly one type count per
// message, at most one drop, an event only for a configured product with in-range values, never a
// clock-only time, and the same result whatever the padding holds. The input is also parsed as a time
// string: a success must be in range and round-trip through the same arithmetic run backwards.
// Seeds: tests/fuzz/corpus/fuzz_coinbase_normalizer/ (real messages, tests/data/coinbase/SOURCE.md).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>

#include "feed/coinbase_normalizer.hpp"
#include "tests/fuzz/normalizer_fuzz.hpp"

namespace {

using tp::fuzz::check;

struct Harness {
  tp::SymbolTable symbols{{"BTC-USD", "BAND-GBP", "SKL-BTC", "SKL-USD", "ETH-EUR"}};
  tp::feed::NormalizerStats stats;
  tp::feed::CoinbaseNormalizer norm{symbols, stats, 1 << 16};
};

// civil_from_days (H. Hinnant), the inverse of the parser's days_from_civil, to re-format a time.
void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2 ? 1 : 0;
}

void check_time(std::string_view s) {
  int64_t ns = -1;
  if (!tp::feed::parse_iso8601_utc_ns(s, ns)) {
    check(ns == -1);
    return;
  }
  check(ns >= 0);
  // The accepted text must be exactly YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z with the fields ns encodes.
  const int64_t secs = ns / 1'000'000'000;
  const int64_t frac = ns % 1'000'000'000;
  int64_t y = 0;
  unsigned m = 0, d = 0;
  civil_from_days(secs / 86'400, y, m, d);
  const int64_t sod = secs % 86'400;
  char buf[40];
  const int n = std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld", static_cast<long long>(y), m,
                              d, static_cast<long long>(sod / 3600), static_cast<long long>(sod / 60 % 60),
                              static_cast<long long>(sod % 60));
  check(n == 19 && s.size() >= 20 && std::memcmp(buf, s.data(), 19) == 0);
  if (s.size() == 20) {
    check(frac == 0 && s[19] == 'Z');
  } else {
    check(s[19] == '.' && s.back() == 'Z');
    const std::size_t digits = s.size() - 21;
    char want[10];
    std::snprintf(want, sizeof want, "%09lld", static_cast<long long>(frac));
    check(digits >= 1 && digits <= 9 && std::memcmp(want, s.data() + 20, digits) == 0);
    for (std::size_t i = digits; i < 9; ++i) check(want[i] == '0');
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  static Harness h;
  tp::MarketEvent ev1{};
  if (tp::fuzz::normalize_twice(h.norm, h.stats, data, size, ev1, [&](auto& n) { check(n.clock_only_ts_ns() == -1); })) {
    check(ev1.symbol_id < h.symbols.size());
    check(ev1.recv_ts_ns == 1'000'000'007);
    check(ev1.exch_ts_ns >= 0);
    if (ev1.kind == tp::EventKind::BookTop) {
      check(ev1.book.bid_px >= 0 && ev1.book.bid_qty >= 0 && ev1.book.ask_px >= 0 && ev1.book.ask_qty >= 0);
    } else {
      check(ev1.kind == tp::EventKind::Trade);
      check(ev1.trade.px >= 0 && ev1.trade.qty >= 0);
      check(ev1.trade.aggressor == tp::Side::Buy || ev1.trade.aggressor == tp::Side::Sell);
    }
  }
  check_time(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
