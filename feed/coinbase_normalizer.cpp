#include "feed/coinbase_normalizer.hpp"

#include <simdjson.h>

#include "feed/json_document_checks.hpp"
#include "feed/json_scalar.hpp"

#include <array>
#include <cstring>
#include <new>
#include <span>
#include <string_view>
#include <utility>

namespace tp::feed {

namespace od = simdjson::ondemand;
using simdjson::error_code;

// ---- time -------------------------------------------------------------------------------------

namespace {

// Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (H. Hinnant's days_from_civil).
constexpr int64_t days_from_civil(int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);                 // [0, 399]
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;  // [0, 365]
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;            // [0, 146096]
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}
static_assert(days_from_civil(1970, 1, 1) == 0);
static_assert(days_from_civil(2000, 3, 1) == 11017);
static_assert(days_from_civil(2021, 4, 17) == 18734);

constexpr bool is_leap(unsigned y) noexcept { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

constexpr unsigned days_in_month(unsigned y, unsigned m) noexcept {
  constexpr unsigned kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

constexpr int64_t kPow10[10] = {1,          10,          100,          1'000,         10'000,
                                100'000,    1'000'000,   10'000'000,   100'000'000,   1'000'000'000};

// Reads `n` decimal digits at p into v; false if any is not a digit.
inline bool digits(const char* p, int n, unsigned& v) noexcept {
  unsigned x = 0;
  for (int i = 0; i < n; ++i) {
    const unsigned d = static_cast<unsigned>(static_cast<unsigned char>(p[i])) - '0';
    if (d > 9) return false;
    x = x * 10 + d;
  }
  v = x;
  return true;
}

}  // namespace

bool parse_iso8601_utc_ns(std::string_view s, int64_t& out) noexcept {
  // "YYYY-MM-DDTHH:MM:SSZ" (20) up to "YYYY-MM-DDTHH:MM:SS.fffffffffZ" (30).
  if (s.size() < 20 || s.size() > 30) return false;
  const char* p = s.data();
  if (p[4] != '-' || p[7] != '-' || p[10] != 'T' || p[13] != ':' || p[16] != ':') return false;
  unsigned year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!digits(p, 4, year) || !digits(p + 5, 2, month) || !digits(p + 8, 2, day) || !digits(p + 11, 2, hour) ||
      !digits(p + 14, 2, minute) || !digits(p + 17, 2, second)) {
    return false;
  }
  if (year < 1970 || year > 2261 || month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) ||
      hour > 23 || minute > 59 || second > 59) {
    return false;
  }
  std::size_t i = 19;
  int64_t frac = 0;
  if (p[i] == '.') {
    const std::size_t first = ++i;
    while (i < s.size() && static_cast<unsigned>(static_cast<unsigned char>(p[i])) - '0' <= 9) {
      frac = frac * 10 + (p[i] - '0');
      ++i;
    }
    const std::size_t n = i - first;
    if (n == 0 || n > 9) return false;
    frac *= kPow10[9 - n];
  }
  if (i + 1 != s.size() || p[i] != 'Z') return false;
  const int64_t secs = days_from_civil(year, month, day) * 86'400 + hour * 3'600 + minute * 60 + second;
  out = secs * 1'000'000'000 + frac;
  return true;
}

// ---- message scan -----------------------------------------------------------------------------

namespace {

// The keys this normalizer reads. Everything else is skipped unread.
enum Key : uint8_t {
  kType,
  kProductId,
  kSequence,
  kTime,
  kBestBid,
  kBestAsk,
  kBestBidSize,
  kBestAskSize,
  kPrice,
  kSize,
  kTradeId,
  kSide,
  kNumKeys
};

// `k` points just past a key's opening quote; the key's bytes are followed by its closing quote and
// the padded buffer (kPayloadPadding >= 64 > the longest literal), so the read is always in bounds.
// A literal without backslashes followed by '"' can only match the whole key.
template <std::size_t N>
inline bool key_is(const char* k, const char (&lit)[N]) noexcept {
  return std::memcmp(k, lit, N - 1) == 0 && k[N - 1] == '"';
}

inline int key_index(const char* k) noexcept {
  switch (k[0]) {
    case 't':
      if (key_is(k, "type")) return kType;
      if (key_is(k, "time")) return kTime;
      if (key_is(k, "trade_id")) return kTradeId;
      return -1;
    case 'p':
      if (key_is(k, "product_id")) return kProductId;
      if (key_is(k, "price")) return kPrice;
      return -1;
    case 's':
      if (key_is(k, "sequence")) return kSequence;
      if (key_is(k, "size")) return kSize;
      if (key_is(k, "side")) return kSide;
      return -1;
    case 'b':
      if (std::memcmp(k, "best_", 5) != 0) return -1;
      if (key_is(k, "best_bid")) return kBestBid;
      if (key_is(k, "best_ask")) return kBestAsk;
      if (key_is(k, "best_bid_size")) return kBestBidSize;
      if (key_is(k, "best_ask_size")) return kBestAskSize;
      return -1;
    default:
      return -1;
  }
}

// One field value as found (a "type"/"product_id" string unescaped when it holds a backslash). No
// field here is a bool, so ScalarKind::Bool, like Other, is simply not the kind any check asks for.
using Kind = json::ScalarKind;
using Slot = json::Scalar;

struct Scan {
  Slot slots[kNumKeys];
  uint32_t mask = 0;  // bit k: slots[k] was assigned

  bool has(int k) const noexcept { return (mask >> k) & 1u; }
  const Slot& operator[](int k) const noexcept { return slots[k]; }
  std::string_view str(int k) const noexcept { return {slots[k].str, slots[k].len}; }
};

// Reads every top-level field once, in document order (any field order is handled the same way).
error_code scan_object(od::object& obj, Scan& sc) noexcept {
  for (auto field_result : obj) {
    od::field f;
    if (error_code err = std::move(field_result).get(f)) return err;
    const int idx = key_index(f.key().raw());
    if (idx < 0) continue;
    if (error_code err = json::read_scalar(f.value(), sc.slots[idx], idx == kType || idx == kProductId)) return err;
    sc.mask |= 1u << idx;
  }
  return simdjson::SUCCESS;
}


using T = CoinbaseMessageType;

T classify(std::string_view t) noexcept {
  // The event types first: they are almost all of a ticker/matches subscription.
  if (t == "ticker") return T::Ticker;
  if (t == "match") return T::Match;
  if (t == "l2update") return T::L2Update;
  if (t == "last_match") return T::LastMatch;
  if (t == "heartbeat") return T::Heartbeat;
  if (t == "subscriptions") return T::Subscriptions;
  if (t == "snapshot") return T::Snapshot;
  if (t == "received") return T::Received;
  if (t == "open") return T::Open;
  if (t == "done") return T::Done;
  if (t == "change") return T::Change;
  if (t == "status") return T::Status;
  if (t == "error") return T::Error;
  return T::Other;
}

}  // namespace

struct CoinbaseNormalizer::Impl {
  od::parser parser;
  Scan scan;
  explicit Impl(std::size_t max_bytes) : parser(max_bytes) {
    if (parser.allocate(max_bytes) != simdjson::SUCCESS) throw std::bad_alloc();
  }
};

CoinbaseNormalizer::CoinbaseNormalizer(const SymbolTable& symbols, NormalizerStats& stats,
                                       std::size_t max_message_bytes)
    : impl_(std::make_unique<Impl>(max_message_bytes)),
      symbols_(symbols),
      stats_(stats),
      max_message_bytes_(max_message_bytes) {
  stats_.by_type.set_names(kCoinbaseMessageTypeNames);
}

CoinbaseNormalizer::~CoinbaseNormalizer() = default;

bool CoinbaseNormalizer::normalize(const Message& msg, MarketEvent& out) noexcept {
  auto drop = [&](T type, DropReason reason) noexcept {
    stats_.by_type.inc(type);
    stats_.count_drop(reason, msg.data, msg.size, msg.recv_ts_ns);
    return false;
  };

  if (msg.size > max_message_bytes_) return drop(T::Other, DropReason::TooLarge);

  Scan& sc = impl_->scan;
  sc.mask = 0;
  if (DropReason why;
      !json::read_top_object(impl_->parser, msg, [&](od::object& obj) noexcept { return scan_object(obj, sc); }, why))
    return drop(T::Other, why);

  if (!sc.has(kType)) return drop(T::Other, DropReason::UnknownMessageType);
  if (sc[kType].kind != Kind::String) return drop(T::Other, DropReason::WrongType);
  const T type = classify(sc.str(kType));
  if (type != T::Ticker && type != T::Match && type != T::LastMatch) {
    stats_.by_type.inc(type);  // counted, no event (heartbeat, subscriptions, l2update, error, ...)
    return false;
  }

  // Required fields, in a fixed order: first the structure (absent / wrong JSON type) ...
  static constexpr int kMissing = static_cast<int>(DropReason::MissingField) + 1;
  static constexpr int kWrong = static_cast<int>(DropReason::WrongType) + 1;
  auto need = [&](int k, Kind kind) noexcept -> int {  // 0 ok, else DropReason + 1
    if (!sc.has(k)) return kMissing;
    const Kind got = sc[k].kind;
    return got == kind || (kind == Kind::Number && got == Kind::BadInt) ? 0 : kWrong;
  };
  struct Req {
    int key;
    Kind kind;
  };
  static constexpr Kind S = Kind::String, N = Kind::Number;
  static constexpr Req kTickerReq[] = {{kSequence, N}, {kProductId, S}, {kBestBid, S}, {kBestAsk, S}, {kTime, S}};
  static constexpr Req kMatchReq[] = {{kProductId, S}, {kTradeId, N}, {kPrice, S}, {kSize, S}, {kSide, S}, {kTime, S}};
  const bool ticker = type == T::Ticker;
  int bad = 0;
  for (const Req& r : ticker ? std::span<const Req>(kTickerReq) : std::span<const Req>(kMatchReq)) {
    if ((bad = need(r.key, r.kind)) != 0) break;
  }
  if (bad == 0 && ticker) {  // optional sizes (absent in older recordings): a string when present
    for (int k : {kBestBidSize, kBestAskSize}) {
      if (sc.has(k) && sc[k].kind != Kind::String) {
        bad = kWrong;
        break;
      }
    }
  }
  if (bad != 0) return drop(type, static_cast<DropReason>(bad - 1));

  // ... then the symbol ...
  const SymbolId sym = symbols_.find(sc.str(kProductId));
  if (sym == kNoSymbol) return drop(type, DropReason::UnknownSymbol);

  // ... then the values, in the same field order.
  auto fixed = [&](int k, Fixed& v) noexcept { return parse_fixed(sc.str(k), v); };

  if (ticker) {
    Fixed bid_px = 0, bid_qty = 0, ask_px = 0, ask_qty = 0;
    if (sc[kSequence].kind != Kind::Number || !fixed(kBestBid, bid_px) || !fixed(kBestAsk, ask_px) ||
        (sc.has(kBestBidSize) && !fixed(kBestBidSize, bid_qty)) ||
        (sc.has(kBestAskSize) && !fixed(kBestAskSize, ask_qty))) {
      return drop(type, DropReason::BadNumber);
    }
    int64_t exch_ts = 0;
    if (!parse_iso8601_utc_ns(sc.str(kTime), exch_ts)) return drop(type, DropReason::BadTime);
    stats_.by_type.inc(type);
    set_book_top(out, sym, BookTop{bid_px, bid_qty, ask_px, ask_qty, sc[kSequence].num}, exch_ts, msg.recv_ts_ns);
    return true;
  }

  // match / last_match
  if (sc[kTradeId].kind != Kind::Number) return drop(type, DropReason::BadNumber);
  Fixed px = 0, qty = 0;
  if (!fixed(kPrice, px) || !fixed(kSize, qty)) return drop(type, DropReason::BadNumber);
  // "side" is the maker's order side; the aggressor (taker) is the other side (see the header).
  const std::string_view side = sc.str(kSide);
  Side aggressor;
  if (side == "sell") {
    aggressor = Side::Buy;
  } else if (side == "buy") {
    aggressor = Side::Sell;
  } else {
    return drop(type, DropReason::BadNumber);
  }
  int64_t exch_ts = 0;
  if (!parse_iso8601_utc_ns(sc.str(kTime), exch_ts)) return drop(type, DropReason::BadTime);
  stats_.by_type.inc(type);
  set_trade(out, sym, Trade{px, qty, sc[kTradeId].num, aggressor}, exch_ts, msg.recv_ts_ns);
  return true;
}

}  // namespace tp::feed
