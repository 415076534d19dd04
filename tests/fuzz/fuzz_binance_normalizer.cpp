// libFuzzer target: BinanceNormalizer::normalize on arbitrary bytes.
// The input is copied into a buffer of exactly size + kPayloadPadding bytes (the Message contract),
// so AddressSanitizer reports any read past the padding. Checks: no crash, exactly one type count per
// message, at most one drop, an event only for a configured symbol with in-range values, and the
// same result whatever the padding holds.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "feed/binance_normalizer.hpp"
#include "tests/fuzz/normalizer_fuzz.hpp"

namespace {

using tp::fuzz::check;

struct Harness {
  tp::SymbolTable symbols{{"BTCUSDT", "ETHUSDT", "NKNUSDT", "LRCBTC"}};
  tp::feed::NormalizerStats stats;
  tp::feed::BinanceNormalizer norm{symbols, stats, 1 << 16};
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  static Harness h;
  tp::MarketEvent ev1{};
  if (tp::fuzz::normalize_twice(h.norm, h.stats, data, size, ev1, [](auto&) {})) {
    check(ev1.symbol_id < h.symbols.size());
    check(ev1.recv_ts_ns == 1'000'000'007);
    if (ev1.kind == tp::EventKind::BookTop) {
      check(ev1.book.bid_px >= 0 && ev1.book.bid_qty >= 0 && ev1.book.ask_px >= 0 && ev1.book.ask_qty >= 0);
    } else {
      check(ev1.kind == tp::EventKind::Trade);
      check(ev1.trade.px >= 0 && ev1.trade.qty >= 0);
      check(ev1.exch_ts_ns >= 0 && ev1.exch_ts_ns % 1'000'000 == 0);
    }
  }
  return 0;
}
