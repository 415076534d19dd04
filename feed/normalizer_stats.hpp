// Counters kept by a venue normalizer (SPEC §2): every message is counted once by type, every message
// that produced nothing because something was wrong with it is counted once by drop reason, and the
// first few dropped messages are kept with their offending bytes for the report.
//
// Venue-agnostic: the message types are small integers whose meaning (and printed name) belongs to the
// normalizer that writes the stats; it installs its table of names at construction
// (MessageTypeCounters::set_names). Drop reasons are shared by all venues.
//
// Written only by the feed thread that owns the normalizer (see core/types/counters.hpp for readers).
// Fixed size, no allocation: recording a drop copies at most kDropSampleBytes bytes. Copyable (the run
// report takes a copy): the names are views of static tables, never owned.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <type_traits>

#include "core/types/counters.hpp"

namespace tp::feed {

// Upper bound on the number of message types of any one venue.
inline constexpr std::size_t kMaxMessageTypes = 16;

// Per-type message counters. Index i counts messages of the type names()[i]; the normalizer passes
// an enum of its own (any enum whose values are 0..names().size()-1) or a plain index.
struct MessageTypeCounters {
  std::array<Counter, kMaxMessageTypes> values{};

  // `names` must have static storage duration and at most kMaxMessageTypes entries. Set once, by the
  // normalizer's constructor, before any message is counted.
  void set_names(std::span<const std::string_view> names) noexcept {
    names_ = names.size() <= kMaxMessageTypes ? names : names.first(kMaxMessageTypes);
  }
  std::span<const std::string_view> names() const noexcept { return names_; }
  std::size_t size() const noexcept { return names_.size(); }  // number of named types

  void inc(std::size_t i, uint64_t by = 1) noexcept { values[i] += by; }
  template <typename Enum>
    requires std::is_enum_v<Enum>
  void inc(Enum e, uint64_t by = 1) noexcept {
    values[static_cast<std::size_t>(e)] += by;
  }
  uint64_t operator[](std::size_t i) const noexcept { return values[i]; }
  template <typename Enum>
    requires std::is_enum_v<Enum>
  uint64_t operator[](Enum e) const noexcept {
    return values[static_cast<std::size_t>(e)];
  }
  uint64_t total() const noexcept {
    uint64_t t = 0;
    for (uint64_t v : values) t += v;
    return t;
  }

 private:
  std::span<const std::string_view> names_{};
};

// Why a message produced nothing. At most one is counted per message.
enum class DropReason : uint8_t {
  MalformedJson = 0,   // not valid JSON (as far as it was read), or trailing bytes after it
  MissingField,        // a field the message type needs is absent
  WrongType,           // a field has the wrong JSON type (incl. a JSON number where a decimal string belongs)
  BadNumber,           // a decimal string outside the SPEC §9.9 grammar, or an integer field that is
                       // negative / fractional / out of range
  UnknownSymbol,       // the symbol (Binance "s", Coinbase "product_id") is not in the configured SymbolTable
  UnknownMessageType,  // a JSON value that is not a recognisable venue message
  TooLarge,            // more bytes than max_message_bytes; not parsed
  BadTime,             // a timestamp string that is not a valid ISO 8601 UTC time (Coinbase "time")
};
inline constexpr std::size_t kDropReasonCount = 8;
inline constexpr std::array<std::string_view, kDropReasonCount> kDropReasonNames{
    "malformed_json", "missing_field", "wrong_type", "bad_number",
    "unknown_symbol", "unknown_message_type", "too_large", "bad_time"};

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
  MessageTypeCounters by_type;  // names installed by the normalizer's constructor
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

constexpr std::string_view name_of(DropReason r) noexcept {
  return kDropReasonNames[static_cast<std::size_t>(r)];
}

}  // namespace tp::feed
