// What the normalizer fuzz targets share: the input is copied into a buffer of exactly
// size + kPayloadPadding bytes (the Message contract), so AddressSanitizer reports any read past the
// padding, and normalized twice, with the padding zeroed and then filled with '"'. Checks: exactly one
// type count per message, at most one drop (none for an event), bounded drop samples, and the same
// result and event whatever the padding holds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "core/types/events.hpp"
#include "feed/message.hpp"
#include "feed/normalizer_stats.hpp"

namespace tp::fuzz {

inline void check(bool cond) {
  if (!cond) std::abort();
}

// `after_each(norm)` runs after each pass for checks of the normalizer's own state. Returns
// whether the input made an event (then in `ev`).
template <typename Normalizer, typename AfterEach>
bool normalize_twice(Normalizer& norm, const feed::NormalizerStats& stats, const uint8_t* data, std::size_t size,
                     MarketEvent& ev, AfterEach&& after_each) {
  const std::size_t cap = size + feed::kPayloadPadding;
  std::unique_ptr<char[]> buf(new char[cap]);
  if (size != 0) std::memcpy(buf.get(), data, size);
  MarketEvent evs[2]{};
  bool ok[2];
  for (int pass = 0; pass < 2; ++pass) {
    std::memset(buf.get() + size, pass == 0 ? 0 : '"', feed::kPayloadPadding);
    const uint64_t messages = stats.messages();
    const uint64_t dropped = stats.dropped();
    const feed::Message msg{buf.get(), size, 1'000'000'007};
    ok[pass] = norm.normalize(msg, evs[pass]);
    check(stats.messages() == messages + 1);
    check(stats.dropped() <= dropped + 1);
    if (ok[pass]) check(stats.dropped() == dropped);
    check(stats.sample_count <= feed::kMaxDropSamples);
    after_each(norm);
  }
  check(ok[0] == ok[1]);
  if (ok[0]) check(std::memcmp(&evs[0], &evs[1], sizeof evs[0]) == 0);
  ev = evs[0];
  return ok[0];
}

}  // namespace tp::fuzz
