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
//   snapshot, l2update   -> level2 channel. No event. Without enable_depth(): counted by type only,
//                           not validated beyond "type" (what replay has always done). With
//                           enable_depth(): validated and read into depth() (feed/book/ keeps the book,
//                           CoinbaseBookSync):
//                             snapshot {"product_id","bids":[["px","size"],...],"asks":[...]} ->
//                               DepthUpdate{snapshot, bids, asks}; exch_ts = the receive time (a
//                               level2 snapshot carries no time; a "time" field, if any, is ignored);
//                             l2update {"product_id","changes":[["buy"|"sell","px","size"],...],"time"}
//                               -> DepthUpdate{bids = the "buy" changes, asks = the "sell" changes,
//                               each in message order}; sizes are absolute, "0" removes the level;
//                               exch_ts = time, which clock_only_ts_ns() also gives (SPEC §9.14).
//                           first_id / last_id are 0: the level2 channel numbers nothing.
//   heartbeat, subscriptions, received, open, done, change, status, error,
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
// Numbers of unknown symbols are not parsed. With enable_depth(), a snapshot needs product_id (string),
// bids, asks (arrays), an l2update product_id (string), changes (array), time (string), in that order
// (missing_field / wrong_type); then unknown_symbol; then the levels: an element of another shape than
// ["px","size"] (snapshot) or ["buy"|"sell","px","size"] (l2update), all strings, is wrong_type; a
// price or size outside the grammar, a price of 0 or another side is bad_number (the first bad element
// decides); more levels than fit is too_large; then, for an l2update, bad_time.
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
#include "feed/book/coinbase_book_sync.hpp"
#include "feed/book/depth_update.hpp"
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
  L2Update,       // level2 channel update (read into depth() with enable_depth(), else counted only)
  Snapshot,       // level2 channel snapshot (the same)
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
  using BookSync = CoinbaseBookSync;  // what keeps this venue's order books (feed/book/book_feed.hpp)

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

  // Exchange time (ns) of the message last passed to normalize() when that message was a valid
  // l2update of a configured product read with enable_depth(): it yields no event but moves the
  // engine clock (SPEC §9.14), like BinanceNormalizer's depthUpdate. -1 after any other message
  // (heartbeats and acknowledgements must not move it; without enable_depth() an l2update is counted,
  // not validated, so it does not either; a snapshot has no exchange time).
  int64_t clock_only_ts_ns() const noexcept { return clock_only_ts_ns_; }

  std::size_t max_message_bytes() const noexcept { return max_message_bytes_; }

  // Start reading the level2 channel (allocates room for the most levels a message of
  // max_message_bytes can hold). Before it, snapshot and l2update are counted only.
  void enable_depth();
  // The depth message last passed to normalize(), when it was a valid snapshot or l2update of a
  // configured product and enable_depth() was called; null otherwise. Valid until the next
  // normalize(). Goes to a CoinbaseBookSync (feed/book/coinbase_book_sync.hpp).
  const DepthUpdate* depth() const noexcept { return depth_valid_ ? &depth_ : nullptr; }

 private:
  struct Impl;  // holds the simdjson parser; keeps simdjson.h out of this header
  // A snapshot or l2update with enable_depth(): validated and read into depth_ (or dropped). Counts
  // the message; always false (no event).
  bool read_depth(const Message& msg, CoinbaseMessageType type) noexcept;
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
