// Differential fuzz target: BinanceNormalizer's compact-JSON fast reader against its simdjson path.
// A leading space is insignificant JSON but forces the simdjson path, so the same bytes normalized
// as they are and with a space in front must agree on the verdict, the event bytes, every counter
// and the clock; and, with depth reading enabled, on the depth levels and update ids too. Any
// disagreement aborts.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <span>

#include "feed/binance_normalizer.hpp"

namespace {

struct Side {
  tp::feed::NormalizerStats stats;
  tp::feed::BinanceNormalizer norm;
  Side(const tp::SymbolTable& s, bool depth) : norm(s, stats, 1 << 16) {
    if (depth) norm.enable_depth();
  }
};

struct Harness {
  tp::SymbolTable symbols{{"BTCUSDT", "ETHUSDT", "NKNUSDT", "LRCBTC"}};
  Side fast{symbols, false};
  Side slow{symbols, false};
  Side fast_depth{symbols, true};
  Side slow_depth{symbols, true};
};

void require(bool ok) {
  if (!ok) std::abort();
}

bool same_levels(std::span<const tp::PriceLevel> a, std::span<const tp::PriceLevel> b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

void compare(Side& fast, Side& slow, const char* x, const char* y, std::size_t size) {
  tp::MarketEvent e1;
  tp::MarketEvent e2;
  std::memset(&e1, 0, sizeof e1);
  std::memset(&e2, 0, sizeof e2);
  const bool r1 = fast.norm.normalize({x, size, 5}, e1);
  const bool r2 = slow.norm.normalize({y, size + 1, 5}, e2);
  require(r1 == r2);
  require(std::memcmp(&e1, &e2, sizeof e1) == 0);
  require(fast.norm.clock_only_ts_ns() == slow.norm.clock_only_ts_ns());
  require(fast.stats.by_type.values == slow.stats.by_type.values);
  for (std::size_t i = 0; i < tp::feed::kDropReasonCount; ++i) {
    const auto r = static_cast<tp::feed::DropReason>(i);
    require(fast.stats.drops[r] == slow.stats.drops[r]);
  }
  const tp::feed::DepthUpdate* d1 = fast.norm.depth();
  const tp::feed::DepthUpdate* d2 = slow.norm.depth();
  require((d1 == nullptr) == (d2 == nullptr));
  if (d1 == nullptr) return;
  require(d1->first_id == d2->first_id && d1->last_id == d2->last_id && d1->prev_last_id == d2->prev_last_id &&
          d1->has_prev_last_id == d2->has_prev_last_id && d1->exch_ts_ns == d2->exch_ts_ns &&
          d1->symbol == d2->symbol && d1->snapshot == d2->snapshot);
  require(same_levels(d1->bids, d2->bids) && same_levels(d1->asks, d2->asks));
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

  compare(h.fast, h.slow, x.get(), y.get(), size);
  compare(h.fast_depth, h.slow_depth, x.get(), y.get(), size);
  return 0;
}
