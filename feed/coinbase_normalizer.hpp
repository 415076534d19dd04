// Coinbase Exchange (formerly Coinbase Pro) WebSocket feed -> normalized MarketEvent
// (SPEC §2, §9.1, §9.9, §9.10, §9.14). Endpoint wss://ws-feed.exchange.coinbase.com
// (ws-feed.pro.coinbase.com before 2022); every message is a JSON object with a "type".
//
//   ticker               -> BookTop{best_bid, best_bid_size, best_ask, best_ask_size,
//                           venue_seq = sequence}; exch_ts = time. best_bid_size / best_ask_size are
//                           absent in older recordings (2021 and before): each absent size is 0.
//   match, last_match    -> Trade{price, size, trade_id, aggressor = opposite of side}; exch_ts = time.
//                           Coinbase's "side" is the MAKER order's side ("If the side is sell this
//                           indicates the maker was a sell order and the match is considered an
//                           up-tick", https://docs.pro.coinbase.com/#match, now
//                           https://docs.cdp.coinbase.com/exchange/websocket-feed/channels#match);
//                           the taker (aggressor) is the other side: "sell" -> Buy, "buy" -> Sell.
//                           (The ticker's own "side" is the taker's; tests check both on one trade.)
//   heartbeat, subscriptions, l2update, snapshot, received, open, done, change, status, error,
//   any other type       -> counted by type (CoinbaseMessageType), no event, not a drop; not validated
//                           beyond "type".
//
// Fields: "type" and "product_id" must be JSON strings; "sequence" and "trade_id" JSON numbers that
// fit uint64_t; prices and sizes JSON strings in the SPEC §9.9 grammar (tp::parse_fixed; a JSON number
// there is wrong_type); "side" the string "buy" or "sell"; "time" an ISO 8601 UTC string (see
// parse_iso8601_utc_ns). Fields may come in any order; unknown fields are ignored; for a repeated key
// the last one counts. Keys are matched on their raw bytes (an escaped key such as "typ\u0065" is not
// recognised).
//
// Drop precedence when several things are wrong: too_large, malformed_json, unknown_message_type (no
// "type", or not an object), wrong_type ("type" not a string), missing_field / wrong_type (first
// required field in the order sequence, product_id, best_bid, best_ask, [best_bid_size,
// best_ask_size], time for a ticker; product_id, trade_id, price, size, side, time for a match),
// unknown_symbol, then bad_number (a number outside its grammar, an integer out of range, a side that
// is neither "buy" nor "sell") or bad_time (a malformed "time"), checked in that same field order.
// Numbers of unknown symbols are not parsed.
//
// Hot path: parses in place (Message bytes are padded by kPayloadPadding), no allocation after
// construction, noexcept. Compact messages (no whitespace, no escapes, plain ASCII, up to 4 KiB, as
// Coinbase sends them) are read by a strict reader that checks every byte itself and knows the
// field order of tickers and matches; any other message goes through simdjson On-Demand, and both
// give the same result for the same JSON (tested by comparing them). Not thread-safe: one instance
// per feed thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "core/types/events.hpp"
#include "core/types/symbol_table.hpp"
#include "feed/message.hpp"
#include "feed/normalizer_stats.hpp"

namespace tp::feed {

// What a Coinbase message was (its "type"). Exactly one is counted per message passed to normalize();
// a message whose type cannot be told (too large, malformed JSON, no "type") counts as `other`.
enum class CoinbaseMessageType : uint8_t {
  Ticker = 0,     // ticker channel -> BookTop
  Match,          // matches channel -> Trade
  LastMatch,      // the most recent match, sent once per product on subscription -> Trade
  Heartbeat,      // heartbeat channel
  Subscriptions,  // acknowledgement of a subscribe / unsubscribe
  L2Update,       // level2 channel update (no book yet: counted only)
  Snapshot,       // level2 channel snapshot (counted only)
  Received,       // full channel ...
  Open,
  Done,
  Change,
  Status,         // status channel
  Error,          // {"type":"error","message":...}: the venue rejected something (counted, not a drop)
  Other,          // activate, ticker_batch, ... or an unclassifiable message
};
inline constexpr std::size_t kCoinbaseMessageTypeCount = 14;
static_assert(kCoinbaseMessageTypeCount <= kMaxMessageTypes);
inline constexpr std::array<std::string_view, kCoinbaseMessageTypeCount> kCoinbaseMessageTypeNames{
    "ticker", "match",  "last_match", "heartbeat", "subscriptions", "l2update", "snapshot",
    "received", "open", "done",       "change",    "status",        "error",    "other"};
constexpr std::string_view name_of(CoinbaseMessageType t) noexcept {
  return kCoinbaseMessageTypeNames[static_cast<std::size_t>(t)];
}

// Parses an ISO 8601 UTC time `YYYY-MM-DDTHH:MM:SS[.f]Z` with 1 to 9 fractional digits (or none, then
// no '.') into nanoseconds since the Unix epoch, with integer arithmetic only (days from the civil
// date; no timegm, no locale, no allocation). Strict: upper-case 'T' and 'Z', no offset, a real
// calendar date (leap years per the Gregorian rules), hour <= 23, minute and second <= 59 (no leap
// second), year 1970..2261 (so the result is >= 0 and fits int64_t). Returns false and leaves `out`
// alone otherwise.
bool parse_iso8601_utc_ns(std::string_view text, int64_t& out) noexcept;

// Counts into `stats.by_type` indexed by CoinbaseMessageType (it installs kCoinbaseMessageTypeNames).
class CoinbaseNormalizer {
 public:
  // Allocates the parser for messages of up to max_message_bytes (throws std::bad_alloc on
  // failure). `symbols` and `stats` must outlive the normalizer. Installs kCoinbaseMessageTypeNames as
  // the names of stats.by_type.
  CoinbaseNormalizer(const SymbolTable& symbols, NormalizerStats& stats, std::size_t max_message_bytes = 1 << 20);
  ~CoinbaseNormalizer();
  CoinbaseNormalizer(const CoinbaseNormalizer&) = delete;
  CoinbaseNormalizer& operator=(const CoinbaseNormalizer&) = delete;

  // true: `out` holds a MarketEvent for a configured product. false: the message was counted (a type
  // that makes no event, or a drop reason) and produced nothing; `out` is untouched.
  // msg.data must stay readable for msg.size + kPayloadPadding bytes.
  bool normalize(const Message& msg, MarketEvent& out) noexcept;

  // Always -1: no Coinbase message moves only the engine clock (heartbeats and acknowledgements must
  // not, SPEC §9.14; l2update is counted, not validated). Same interface as BinanceNormalizer.
  int64_t clock_only_ts_ns() const noexcept { return -1; }

  std::size_t max_message_bytes() const noexcept { return max_message_bytes_; }

 private:
  struct Impl;  // holds the simdjson parser; keeps simdjson.h out of this header
  std::unique_ptr<Impl> impl_;  // also holds the reference to the SymbolTable
  NormalizerStats& stats_;
  std::size_t max_message_bytes_;
};

}  // namespace tp::feed
