// Counters kept by a venue normalizer (SPEC §2): every message is counted once by type, every message
// that produced nothing because something was wrong with it is counted once by drop reason, and the
// first few dropped messages are kept with their offending bytes for the report.
//
// Written only by the feed thread that owns the normalizer (see core/counters.hpp for readers).
// Fixed size, no allocation: recording a drop copies at most kDropSampleBytes bytes.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "core/counters.hpp"

namespace tp::feed {

// What a Binance message was. Exactly one is counted per message passed to normalize(); a message
// whose type cannot be told (too large, malformed JSON, no known shape) counts as `other`.
enum class BinanceMessageType : uint8_t {
  BookTicker = 0,   // bookTicker (spot: no "e"; futures: "e":"bookTicker")
  Trade,            // "e":"trade"
  AggTrade,         // "e":"aggTrade"
  DepthUpdate,      // "e":"depthUpdate": validated, no event yet (SPEC §9.5)
  SubscriptionAck,  // {"result":...,"id":...}
  DepthSnapshot,    // REST {"lastUpdateId":...,"bids":[...],"asks":[...]}
  Other,            // any other "e" (kline, 24hrTicker, ...) or an unclassifiable message
};
inline constexpr std::size_t kBinanceMessageTypeCount = 7;
inline constexpr std::array<std::string_view, kBinanceMessageTypeCount> kBinanceMessageTypeNames{
    "book_ticker", "trade", "agg_trade", "depth_update", "subscription_ack", "depth_snapshot", "other"};

// Why a message produced nothing. At most one is counted per message.
enum class DropReason : uint8_t {
  MalformedJson = 0,   // not valid JSON (as far as it was read), or trailing bytes after it
  MissingField,        // a field the message type needs is absent
  WrongType,           // a field has the wrong JSON type (incl. a JSON number where a decimal string belongs)
  BadNumber,           // a decimal string outside the SPEC §9.9 grammar, or an integer field that is
                       // negative / fractional / out of range
  UnknownSymbol,       // "s" is not in the configured SymbolTable
  UnknownMessageType,  // a JSON value that is not a recognisable venue message
  TooLarge,            // more bytes than max_message_bytes; not parsed
};
inline constexpr std::size_t kDropReasonCount = 7;
inline constexpr std::array<std::string_view, kDropReasonCount> kDropReasonNames{
    "malformed_json", "missing_field", "wrong_type", "bad_number",
    "unknown_symbol", "unknown_message_type", "too_large"};

inline constexpr std::size_t kMaxDropSamples = 5;
inline constexpr std::size_t kDropSampleBytes = 200;

// One dropped message as received: its reason and its first kDropSampleBytes bytes.
struct DropSample {
  DropReason reason{};
  int64_t recv_ts_ns = 0;
  std::size_t size = 0;  // size of the whole message (may exceed len)
  std::size_t len = 0;   // bytes kept in `bytes`
  std::array<char, kDropSampleBytes> bytes{};

  std::string_view view() const noexcept { return {bytes.data(), len}; }
  bool truncated() const noexcept { return len < size; }
};

struct NormalizerStats {
  CounterSet<BinanceMessageType, kBinanceMessageTypeCount> by_type;
  CounterSet<DropReason, kDropReasonCount> drops;
  std::array<DropSample, kMaxDropSamples> samples{};  // the first sample_count drops, in order
  std::size_t sample_count = 0;

  uint64_t messages() const noexcept { return by_type.total(); }
  uint64_t dropped() const noexcept { return drops.total(); }

  void count_drop(DropReason r, const char* data, std::size_t size, int64_t recv_ts_ns) noexcept {
    drops.inc(r);
    if (sample_count == kMaxDropSamples) return;
    DropSample& s = samples[sample_count++];
    s.reason = r;
    s.recv_ts_ns = recv_ts_ns;
    s.size = size;
    s.len = std::min(size, kDropSampleBytes);
    if (s.len != 0) std::memcpy(s.bytes.data(), data, s.len);
  }
};

constexpr std::string_view name_of(BinanceMessageType t) noexcept {
  return kBinanceMessageTypeNames[static_cast<std::size_t>(t)];
}
constexpr std::string_view name_of(DropReason r) noexcept {
  return kDropReasonNames[static_cast<std::size_t>(r)];
}

}  // namespace tp::feed
