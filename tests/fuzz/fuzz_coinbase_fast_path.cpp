// Differential fuzz target: CoinbaseNormalizer's compact-JSON fast reader against its simdjson path.
// A leading space is insignificant JSON but forces the simdjson path (the fast reader takes only a
// message that starts with '{'), so the same bytes normalized as they are and with a space in front
// must agree on the verdict, the event bytes and every counter. Any disagreement aborts.
// Seeds: tests/fuzz/corpus/fuzz_coinbase_fast_path/ (real messages of tests/data/coinbase/ and the
// documented current ticker shape, plus reordered, repeated and nested fields).
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "feed/coinbase_normalizer.hpp"

namespace {

constexpr std::size_t kMaxBytes = 1 << 16;

struct Side {
  tp::feed::NormalizerStats stats;
  tp::feed::CoinbaseNormalizer norm;
  explicit Side(const tp::SymbolTable& s) : norm(s, stats, kMaxBytes) {}
};

struct Harness {
  tp::SymbolTable symbols{{"BTC-USD", "BAND-GBP", "SKL-BTC", "SKL-USD", "ETH-EUR", "ETH-USD"}};
  Side fast{symbols};
  Side slow{symbols};
};

void require(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  static Harness h;
  if (size + 1 > kMaxBytes) return 0;  // (too large for one side only)
  constexpr std::size_t kPad = tp::feed::kPayloadPadding;
  // Padding filled with quotes and digits, not zeros: the result must not depend on bytes past the
  // end (a quote there must not close a string, a digit must not extend a number).
  std::unique_ptr<char[]> x(new char[size + kPad]);
  std::unique_ptr<char[]> y(new char[size + 1 + kPad]);
  if (size != 0) std::memcpy(x.get(), data, size);
  y[0] = ' ';
  if (size != 0) std::memcpy(y.get() + 1, data, size);
  for (std::size_t i = 0; i < kPad; ++i) x[size + i] = y[size + 1 + i] = (i % 2 == 0) ? '"' : '7';

  tp::MarketEvent e1;
  tp::MarketEvent e2;
  std::memset(&e1, 0, sizeof e1);
  std::memset(&e2, 0, sizeof e2);
  const bool r1 = h.fast.norm.normalize({x.get(), size, 5}, e1);
  const bool r2 = h.slow.norm.normalize({y.get(), size + 1, 5}, e2);
  require(r1 == r2);
  require(std::memcmp(&e1, &e2, sizeof e1) == 0);
  require(h.fast.stats.by_type.values == h.slow.stats.by_type.values);
  for (std::size_t i = 0; i < tp::feed::kDropReasonCount; ++i) {
    const auto r = static_cast<tp::feed::DropReason>(i);
    require(h.fast.stats.drops[r] == h.slow.stats.drops[r]);
  }
  return 0;
}
