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

namespace {

struct Harness {
  tp::SymbolTable symbols{{"BTCUSDT", "ETHUSDT", "NKNUSDT", "LRCBTC"}};
  tp::feed::NormalizerStats stats;
  tp::feed::BinanceNormalizer norm{symbols, stats, 1 << 16};
};

void check(bool cond) {
  if (!cond) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  static Harness h;
  const std::size_t cap = size + tp::feed::kPayloadPadding;
  std::unique_ptr<char[]> buf(new char[cap]);
  if (size != 0) std::memcpy(buf.get(), data, size);

  tp::MarketEvent ev1{}, ev2{};
  bool ok[2];
  for (int pass = 0; pass < 2; ++pass) {
    std::memset(buf.get() + size, pass == 0 ? 0 : '"', tp::feed::kPayloadPadding);
    const uint64_t messages = h.stats.messages();
    const uint64_t dropped = h.stats.dropped();
    const tp::feed::Message msg{buf.get(), size, 1'000'000'007};
    ok[pass] = h.norm.normalize(msg, pass == 0 ? ev1 : ev2);
    check(h.stats.messages() == messages + 1);
    check(h.stats.dropped() <= dropped + 1);
    if (ok[pass]) check(h.stats.dropped() == dropped);
    check(h.stats.sample_count <= tp::feed::kMaxDropSamples);
  }
  check(ok[0] == ok[1]);
  if (ok[0]) {
    check(std::memcmp(&ev1, &ev2, sizeof ev1) == 0);
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
