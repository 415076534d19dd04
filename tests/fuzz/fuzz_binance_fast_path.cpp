// Differential fuzz target: BinanceNormalizer's compact-JSON fast reader against its simdjson path.
// A leading space is insignificant JSON but forces the simdjson path, so the same bytes normalized
// as they are and with a space in front must agree on the verdict, the event bytes, every counter
// and the clock. Any disagreement aborts.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "feed/binance_normalizer.hpp"

namespace {

struct Side {
  tp::feed::NormalizerStats stats;
  tp::feed::BinanceNormalizer norm;
  explicit Side(const tp::SymbolTable& s) : norm(s, stats, 1 << 16) {}
};

struct Harness {
  tp::SymbolTable symbols{{"BTCUSDT", "ETHUSDT", "NKNUSDT", "LRCBTC"}};
  Side fast{symbols};
  Side slow{symbols};
};

void require(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  static Harness h;
  constexpr std::size_t kPad = tp::feed::kPayloadPadding;
  // Padding filled with a digit, not zeros: the result must not depend on bytes past the end.
  std::unique_ptr<char[]> x(new char[size + kPad]);
  std::unique_ptr<char[]> y(new char[size + 1 + kPad]);
  if (size != 0) std::memcpy(x.get(), data, size);
  y[0] = ' ';
  if (size != 0) std::memcpy(y.get() + 1, data, size);
  std::memset(x.get() + size, '7', kPad);
  std::memset(y.get() + size + 1, '7', kPad);

  tp::MarketEvent e1;
  tp::MarketEvent e2;
  std::memset(&e1, 0, sizeof e1);
  std::memset(&e2, 0, sizeof e2);
  const bool r1 = h.fast.norm.normalize({x.get(), size, 5}, e1);
  const bool r2 = h.slow.norm.normalize({y.get(), size + 1, 5}, e2);
  require(r1 == r2);
  require(std::memcmp(&e1, &e2, sizeof e1) == 0);
  require(h.fast.norm.clock_only_ts_ns() == h.slow.norm.clock_only_ts_ns());
  require(h.fast.stats.by_type.values == h.slow.stats.by_type.values);
  for (std::size_t i = 0; i < tp::feed::kDropReasonCount; ++i) {
    const auto r = static_cast<tp::feed::DropReason>(i);
    require(h.fast.stats.drops[r] == h.slow.stats.drops[r]);
  }
  return 0;
}
