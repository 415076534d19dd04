// Binance Spot WebSocket market data -> normalized MarketEvent (SPEC §2, §9.1, §9.5, §9.9).
//
// Accepts raw streams (`{"e":"trade",...}`, and the spot bookTicker which has no "e") and combined
// streams (`{"stream":"btcusdt@bookTicker","data":{...}}`), plus the messages that share the
// connection: subscription acknowledgements `{"result":null,"id":1}` and REST depth snapshots
// `{"lastUpdateId":...}` (counted, no event).
//
//   bookTicker  -> BookTop{b, B, a, A, venue_seq = u}; exch_ts = E (ms) * 1e6 if "E" is present
//                  (futures), else the receive time (spot carries no event time)
//   trade       -> Trade{p, q, trade_id = t, aggressor = m ? Sell : Buy}; exch_ts = E * 1e6
//   aggTrade    -> Trade{p, q, trade_id = a, aggressor = m ? Sell : Buy}; exch_ts = E * 1e6
//   depthUpdate -> no event (SPEC §9.5); e, E, s checked, symbol must be configured;
//                  its exchange time is exposed by clock_only_ts_ns() (SPEC §9.14).
//                  With enable_depth(): U, u, b, a (and pu when present) are checked too and the
//                  levels read; depth() holds them (feed/book/ keeps the order book)
//   REST depth snapshot {"lastUpdateId":L,"bids":[...],"asks":[...]} -> no event; with
//                  enable_depth() read like a depthUpdate (depth()->snapshot; no symbol named,
//                  unless an "s" names it: tickpipe adds one to the snapshots it fetches live, so
//                  a snapshot of one of several symbols can be attributed, in replay too)
//
// Prices and quantities must be JSON strings in the SPEC §9.9 grammar (tp::parse_fixed); integer
// fields (E, u, t, a) must be JSON numbers that fit uint64_t (E: also E * 1e6 must fit int64_t).
// Fields may come in any order; unknown fields are ignored; for a repeated key the last one counts.
//
// Drop precedence when several things are wrong: too_large, malformed_json, unknown_message_type,
// missing_field / wrong_type (first required field in the order listed above), unknown_symbol,
// bad_number. Numbers of unknown symbols are not parsed.
//
// Hot path: parses in place (Message bytes are padded by kPayloadPadding), no allocation after
// construction, noexcept. Compact messages (no whitespace, no escapes, plain ASCII, as Binance sends
// them) are read by a strict single-pass reader that checks every byte itself; any other message
// goes through simdjson On-Demand, and both give the same result for the same JSON (tested by
// comparing them). Not thread-safe: one instance per feed thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "core/types/events.hpp"
#include "core/types/symbol_table.hpp"
#include "feed/book/binance_book_sync.hpp"
#include "feed/book/depth_update.hpp"
#include "feed/message.hpp"
#include "feed/normalizer_stats.hpp"

namespace tp::feed {

namespace json {
struct Scalar;
}

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
static_assert(kBinanceMessageTypeCount <= kMaxMessageTypes);
inline constexpr std::array<std::string_view, kBinanceMessageTypeCount> kBinanceMessageTypeNames{
    "book_ticker", "trade", "agg_trade", "depth_update", "subscription_ack", "depth_snapshot", "other"};
constexpr std::string_view name_of(BinanceMessageType t) noexcept {
  return kBinanceMessageTypeNames[static_cast<std::size_t>(t)];
}

// Counts into `stats.by_type` indexed by BinanceMessageType (it installs kBinanceMessageTypeNames).
class BinanceNormalizer {
 public:
  using BookSync = BinanceBookSync;  // what keeps this venue's order books (feed/book/book_feed.hpp)

  // Allocates the parser for messages of up to max_message_bytes (throws std::bad_alloc on
  // failure). `symbols` and `stats` must outlive the normalizer. Installs kBinanceMessageTypeNames as
  // the names of stats.by_type.
  BinanceNormalizer(const SymbolTable& symbols, NormalizerStats& stats,
                    std::size_t max_message_bytes = 1 << 20);
  ~BinanceNormalizer();
  BinanceNormalizer(const BinanceNormalizer&) = delete;
  BinanceNormalizer& operator=(const BinanceNormalizer&) = delete;

  // true: `out` holds a MarketEvent for a configured symbol. false: the message was counted (ack,
  // depth update/snapshot, other type, or a drop reason) and produced nothing; `out` is untouched.
  // msg.data must stay readable for msg.size + kPayloadPadding bytes.
  bool normalize(const Message& msg, MarketEvent& out) noexcept;

  // Exchange time (ns) of the message last passed to normalize() when that message was a valid
  // depthUpdate for a configured symbol: it yields no event but moves the engine clock (SPEC §9.14).
  // -1 after any other message.
  int64_t clock_only_ts_ns() const noexcept { return clock_only_ts_ns_; }

  std::size_t max_message_bytes() const noexcept { return max_message_bytes_; }

  // Start reading depth levels (allocates room for the most levels a message of max_message_bytes
  // can hold). Before it, depth messages are validated and counted only (what replay has always done).
  void enable_depth();
  // The depth message last passed to normalize(), when it was a valid depthUpdate of a configured
  // symbol or a valid REST snapshot and enable_depth() was called; null otherwise. Valid until the
  // next normalize().
  const DepthUpdate* depth() const noexcept { return depth_valid_ ? &depth_ : nullptr; }

 private:
  struct Impl;  // holds the simdjson parser; keeps simdjson.h out of this header
  // Reads both level lists into levels_ and points depth_ at them; false (and why) if they are bad.
  bool read_depth_levels(const json::Scalar& bids, const json::Scalar& asks, DropReason& why) noexcept;
  std::unique_ptr<Impl> impl_;  // also holds the reference to the SymbolTable
  NormalizerStats& stats_;
  std::size_t max_message_bytes_;
  int64_t clock_only_ts_ns_ = -1;
  std::unique_ptr<PriceLevel[]> levels_;  // enable_depth(): the levels of the current depth message
  std::size_t level_cap_ = 0;
  DepthUpdate depth_;
  bool depth_valid_ = false;
};

}  // namespace tp::feed
