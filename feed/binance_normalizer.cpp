#include "feed/binance_normalizer.hpp"

#include <simdjson.h>

#include <array>
#include <bit>
#include <cstring>
#include <limits>
#include <new>
#include <span>
#include <string_view>
#include <utility>

namespace tp::feed {

namespace od = simdjson::ondemand;
using simdjson::error_code;

namespace {

// The single-letter event keys this normalizer reads. Everything else is skipped unread.
enum Key : uint8_t { kE_lower, kE_upper, kS, kU, kBidPx, kBidQty, kAskPx, kAskQty, kP, kQ, kT, kM, kNumKeys };

// Key byte -> Key, or -1: a table rather than a switch (no jump-table branch per field).
constexpr std::array<int8_t, 256> kKeyIndex = [] {
  std::array<int8_t, 256> t{};
  t.fill(-1);
  t['e'] = kE_lower;
  t['E'] = kE_upper;
  t['s'] = kS;
  t['u'] = kU;
  t['b'] = kBidPx;
  t['B'] = kBidQty;
  t['a'] = kAskPx;
  t['A'] = kAskQty;
  t['p'] = kP;
  t['q'] = kQ;
  t['t'] = kT;
  t['m'] = kM;
  return t;
}();

enum class Kind : uint8_t { String, Number, BadInt, Bool, Other };

// One field value as found: a string (raw bytes between the quotes, or unescaped for e/s), an
// unsigned integer, a number that is not one (negative, fractional, too big), a bool, or anything
// else (null, array, object).
struct Slot {
  const char* str;
  uint64_t num;
  uint32_t len;
  Kind kind;
  bool boolean;
  bool unescaped;  // str points into the parser's string buffer, not into the message
};

struct Scan {
  Slot slots[kNumKeys];
  uint32_t mask = 0;  // bit k: slots[k] was assigned (for the current level)
  bool has_stream = false;
  bool has_data = false;
  bool data_is_object = false;
  bool has_result = false;
  bool has_id = false;
  bool has_last_update_id = false;
  std::string_view stream;

  bool has(int k) const noexcept { return (mask >> k) & 1u; }
  const Slot& operator[](int k) const noexcept { return slots[k]; }
};

// `k` points just past a key's opening quote; the key's bytes are followed by its closing quote and
// the padded buffer, so reading lit.size() + 1 bytes is always in bounds.
template <std::size_t N>
inline bool key_is(const char* k, const char (&lit)[N]) noexcept {
  return std::memcmp(k, lit, N - 1) == 0 && k[N - 1] == '"';
}

// Error codes that mean "this is not JSON" as opposed to "this JSON is not what we expected".
inline bool is_syntax_error(error_code e) noexcept {
  return e != simdjson::SUCCESS && e != simdjson::INCORRECT_TYPE && e != simdjson::NUMBER_OUT_OF_RANGE;
}

inline bool is_json_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Records one value without converting it. Strings are taken from the raw token (the structural
// index gives its end, so there is no scan for the closing quote): a decimal string is handed to
// parse_fixed as is (a backslash inside can never pass its grammar); a text key ("e", "s") is
// unescaped only when it holds a backslash.
error_code read_value(od::value& v, Slot& s, bool want_text) noexcept {
  std::string_view tok = v.raw_json_token();  // the token plus any whitespace before the next one
  while (!tok.empty() && is_json_space(tok.back())) tok.remove_suffix(1);
  if (tok.empty()) return simdjson::TAPE_ERROR;
  if (tok.front() == '"') [[likely]] {
    // Stage 1 validated the string, so tok is `"..."` with tok.back() the closing quote.
    s.kind = Kind::String;
    s.str = tok.data() + 1;
    s.len = static_cast<uint32_t>(tok.size() - 2);
    s.unescaped = false;
    if (want_text && std::memchr(s.str, '\\', s.len) != nullptr) {
      std::string_view sv;  // unescaped into the parser's preallocated string buffer
      if (error_code err = v.get_string().get(sv)) return err;
      s.str = sv.data();
      s.len = static_cast<uint32_t>(sv.size());
      s.unescaped = true;
    }
    return simdjson::SUCCESS;
  }
  switch (tok.front()) {
    case 't':
    case 'f': {
      bool b = false;
      if (error_code err = v.get_bool().get(b)) return err;
      s.kind = Kind::Bool;
      s.boolean = b;
      return simdjson::SUCCESS;
    }
    case '-':
    case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': case '8': case '9': {
      uint64_t x = 0;
      const error_code err = v.get_uint64().get(x);
      if (err == simdjson::SUCCESS) {
        s.kind = Kind::Number;
        s.num = x;
        return simdjson::SUCCESS;
      }
      if (is_syntax_error(err)) return err;
      s.kind = Kind::BadInt;  // negative, fractional, exponent, or beyond uint64
      return simdjson::SUCCESS;
    }
    case 'n': {
      bool is_null = false;
      if (error_code err = v.is_null().get(is_null)) return err;
      if (!is_null) return simdjson::N_ATOM_ERROR;
      s.kind = Kind::Other;
      return simdjson::SUCCESS;
    }
    case '{':
    case '[':
      s.kind = Kind::Other;  // skipped unread by the object iterator
      return simdjson::SUCCESS;
    default:
      return simdjson::TAPE_ERROR;
  }
}

// Reads every field of `obj` once, in document order (no lookups, so any field order is handled
// the same way). `top`: also recognise the envelope and non-event keys.
error_code scan_object(od::object& obj, Scan& sc, bool top) noexcept {
  for (auto field_result : obj) {
    od::field f;
    if (error_code err = std::move(field_result).get(f)) return err;
    const char* k = f.key().raw();
    if (k[0] != '"' && k[1] == '"') {  // one-letter key
      const int idx = kKeyIndex[static_cast<unsigned char>(k[0])];
      if (idx < 0) continue;
      if (top && sc.has_data) continue;  // event keys beside a combined envelope's "data" are ignored
      if (error_code err = read_value(f.value(), sc.slots[idx], idx == kE_lower || idx == kS)) return err;
      sc.mask |= 1u << idx;
      continue;
    }
    if (!top) continue;
    if (key_is(k, "data")) {
      sc.has_data = true;
      sc.mask = 0;  // the event is the envelope's data, nothing else
      od::json_type t;
      if (error_code err = f.value().type().get(t)) return err;
      if (t != od::json_type::object) continue;
      od::object inner;
      if (error_code err = f.value().get_object().get(inner)) return err;
      sc.data_is_object = true;
      if (error_code err = scan_object(inner, sc, false)) return err;
    } else if (key_is(k, "stream")) {
      // Only a classification hint (see normalize), so the raw bytes suffice: no unescaping copy.
      sc.has_stream = true;
      std::string_view tok = f.value().raw_json_token();
      while (!tok.empty() && is_json_space(tok.back())) tok.remove_suffix(1);
      if (tok.size() >= 2 && tok.front() == '"') sc.stream = tok.substr(1, tok.size() - 2);
    } else if (key_is(k, "result")) {
      sc.has_result = true;
    } else if (key_is(k, "id")) {
      sc.has_id = true;
    } else if (key_is(k, "lastUpdateId")) {
      sc.has_last_update_id = true;
    }
  }
  return simdjson::SUCCESS;
}

// A scalar top-level document is checked completely; an array only as far as its first token.
bool valid_non_object(od::document& doc, od::json_type t) noexcept {
  switch (t) {
    case od::json_type::null: {
      bool is_null = false;
      return doc.is_null().get(is_null) == simdjson::SUCCESS && is_null;
    }
    case od::json_type::boolean: {
      bool b = false;
      return doc.get_bool().get(b) == simdjson::SUCCESS;
    }
    case od::json_type::number: {
      double d = 0;
      return doc.get_double().get(d) == simdjson::SUCCESS;
    }
    case od::json_type::string: {
      std::string_view sv;
      return doc.get_string().get(sv) == simdjson::SUCCESS;
    }
    default:
      return true;
  }
}

constexpr int64_t kMaxMillis = std::numeric_limits<int64_t>::max() / 1'000'000;

// A small direct-mapped cache in front of SymbolTable::find for names of up to 16 bytes read from the
// padded message (so 16 bytes are always readable). The table is immutable, so entries never go
// stale; unknown names are cached too.
class SymbolCache {
 public:
  explicit SymbolCache(const SymbolTable& table) noexcept : table_(table) {}

  SymbolId find(const char* p, std::size_t len, bool padded) noexcept {
    static_assert(std::endian::native == std::endian::little, "the byte masks below assume little-endian");
    if (len == 0 || len > 16 || !padded) return table_.find(std::string_view(p, len));
    uint64_t lo = 0, hi = 0;
    std::memcpy(&lo, p, 8);
    std::memcpy(&hi, p + 8, 8);
    if (len < 8) {
      lo &= (uint64_t{1} << (8 * len)) - 1;
      hi = 0;
    } else if (len == 8) {
      hi = 0;
    } else if (len < 16) {
      hi &= (uint64_t{1} << (8 * (len - 8))) - 1;
    }
    const uint64_t h = (lo ^ (hi * 0x9E3779B97F4A7C15ull) ^ len) * 0xD6E8FEB86659FD93ull;
    Entry& e = entries_[h >> (64 - kBits)];
    if (e.len == len && e.lo == lo && e.hi == hi) return e.id;
    const SymbolId id = table_.find(std::string_view(p, len));
    e = Entry{lo, hi, static_cast<uint32_t>(len), id};
    return id;
  }

 private:
  static constexpr int kBits = 4;
  struct Entry {
    uint64_t lo = 0, hi = 0;
    uint32_t len = 0;  // 0: empty (an empty name never goes through the cache)
    SymbolId id = kNoSymbol;
  };
  const SymbolTable& table_;
  Entry entries_[1 << kBits];
};

}  // namespace

struct BinanceNormalizer::Impl {
  od::parser parser;
  Scan scan;
  SymbolCache symbols;
  Impl(const SymbolTable& table, std::size_t max_bytes) : parser(max_bytes), symbols(table) {
    if (parser.allocate(max_bytes) != simdjson::SUCCESS) throw std::bad_alloc();
  }
};

BinanceNormalizer::BinanceNormalizer(const SymbolTable& symbols, NormalizerStats& stats,
                                     std::size_t max_message_bytes)
    : impl_(std::make_unique<Impl>(symbols, max_message_bytes)),
      stats_(stats),
      max_message_bytes_(max_message_bytes) {
  stats_.by_type.set_names(kBinanceMessageTypeNames);
}

BinanceNormalizer::~BinanceNormalizer() = default;

bool BinanceNormalizer::normalize(const Message& msg, MarketEvent& out) noexcept {
  using T = BinanceMessageType;
  clock_only_ts_ns_ = -1;

  auto drop = [&](T type, DropReason reason) noexcept {
    stats_.by_type.inc(type);
    stats_.count_drop(reason, msg.data, msg.size, msg.recv_ts_ns);
    return false;
  };

  if (msg.size > max_message_bytes_) return drop(T::Other, DropReason::TooLarge);

  Scan& sc = impl_->scan;
  sc.mask = 0;
  sc.has_stream = sc.has_data = sc.data_is_object = false;
  sc.has_result = sc.has_id = sc.has_last_update_id = false;
  sc.stream = {};

  {
    od::document doc;
    if (impl_->parser.iterate(simdjson::padded_string_view(msg.data, msg.size, msg.size + kPayloadPadding))
            .get(doc)) {
      return drop(T::Other, DropReason::MalformedJson);
    }
    od::json_type top_type;
    if (doc.type().get(top_type)) return drop(T::Other, DropReason::MalformedJson);
    if (top_type != od::json_type::object) {
      // Rare path: tell a valid non-object document (no Binance message) from garbage like "nul".
      return drop(T::Other, valid_non_object(doc, top_type) ? DropReason::UnknownMessageType
                                                            : DropReason::MalformedJson);
    }
    od::object obj;
    if (doc.get_object().get(obj)) return drop(T::Other, DropReason::MalformedJson);
    if (scan_object(obj, sc, true)) return drop(T::Other, DropReason::MalformedJson);
    // Anything after the top-level object (e.g. "{...}}") is malformed; at the clean end the
    // document has no current location.
    if (doc.current_location().error() == simdjson::SUCCESS) return drop(T::Other, DropReason::MalformedJson);
  }

  // Non-event messages sharing the connection.
  if (!sc.has_data && !sc.has(kE_lower)) {
    if (sc.has_result) {
      stats_.by_type.inc(T::SubscriptionAck);
      return false;
    }
    if (sc.has_last_update_id) {
      stats_.by_type.inc(T::DepthSnapshot);
      return false;
    }
  }
  if (sc.has_data && !sc.data_is_object) return drop(T::Other, DropReason::WrongType);
  if (sc.has_stream && !sc.has_data) return drop(T::Other, DropReason::MissingField);

  // Event type: "e" when present, else the bookTicker shape (spot bookTicker has no "e"); the
  // combined stream name only helps classify a bookTicker that lacks some of its fields.
  T type;
  if (sc.has(kE_lower)) {
    const Slot& e = sc[kE_lower];
    if (e.kind != Kind::String) return drop(T::Other, DropReason::WrongType);
    const std::string_view name(e.str, e.len);
    if (name == "bookTicker") {
      type = T::BookTicker;
    } else if (name == "trade") {
      type = T::Trade;
    } else if (name == "aggTrade") {
      type = T::AggTrade;
    } else if (name == "depthUpdate") {
      type = T::DepthUpdate;
    } else {
      stats_.by_type.inc(T::Other);  // a venue event this engine does not use (kline, ticker, ...)
      return false;
    }
  } else if ((sc.mask & ((1u << kU) | (1u << kBidPx) | (1u << kBidQty) | (1u << kAskPx) | (1u << kAskQty))) ||
             sc.stream.ends_with("@bookTicker")) {
    type = T::BookTicker;
  } else {
    return drop(T::Other, DropReason::UnknownMessageType);
  }

  // Required fields, in a fixed order: first the structure (absent / wrong JSON type) ...
  auto need = [&](int k, Kind kind) noexcept -> int {  // 0 ok, else DropReason + 1
    if (!sc.has(k)) return static_cast<int>(DropReason::MissingField) + 1;
    const Kind got = sc[k].kind;
    if (got == kind || (kind == Kind::Number && got == Kind::BadInt)) return 0;
    return static_cast<int>(DropReason::WrongType) + 1;
  };
  struct Req {
    int key;
    Kind kind;
  };
  static constexpr Kind S = Kind::String, N = Kind::Number, B = Kind::Bool;
  static constexpr Req kBookReq[] = {{kU, N}, {kS, S}, {kBidPx, S}, {kBidQty, S}, {kAskPx, S}, {kAskQty, S}};
  static constexpr Req kTradeReq[] = {{kE_upper, N}, {kS, S}, {kT, N}, {kP, S}, {kQ, S}, {kM, B}};
  static constexpr Req kAggReq[] = {{kE_upper, N}, {kS, S}, {kAskPx, N}, {kP, S}, {kQ, S}, {kM, B}};
  static constexpr Req kDepthReq[] = {{kE_upper, N}, {kS, S}};
  std::span<const Req> reqs = type == T::BookTicker ? std::span<const Req>(kBookReq)
                              : type == T::Trade    ? std::span<const Req>(kTradeReq)
                              : type == T::AggTrade ? std::span<const Req>(kAggReq)
                                                    : std::span<const Req>(kDepthReq);
  int bad = 0;
  for (const Req& r : reqs) {
    if ((bad = need(r.key, r.kind)) != 0) break;
  }
  if (bad == 0 && type == T::BookTicker && sc.has(kE_upper)) bad = need(kE_upper, N);  // futures
  if (bad != 0) return drop(type, static_cast<DropReason>(bad - 1));

  // ... then the symbol ...
  const Slot& sym_slot = sc[kS];
  const SymbolId sym = impl_->symbols.find(sym_slot.str, sym_slot.len, !sym_slot.unescaped);
  if (sym == kNoSymbol) return drop(type, DropReason::UnknownSymbol);

  // ... then the numbers.
  auto fixed = [&](int k, Fixed& v) noexcept {
    const Slot& s = sc[k];
    return parse_fixed(std::string_view(s.str, s.len), v);
  };
  auto integer = [&](int k, uint64_t& v) noexcept {
    if (sc[k].kind != Kind::Number) return false;
    v = sc[k].num;
    return true;
  };
  auto millis = [&](int64_t& ns) noexcept {
    uint64_t ms = 0;
    if (!integer(kE_upper, ms) || ms > static_cast<uint64_t>(kMaxMillis)) return false;
    ns = static_cast<int64_t>(ms) * 1'000'000;
    return true;
  };

  int64_t exch_ts = msg.recv_ts_ns;
  switch (type) {
    case T::BookTicker: {
      uint64_t seq = 0;
      Fixed bid_px = 0, bid_qty = 0, ask_px = 0, ask_qty = 0;
      if (!integer(kU, seq) || !fixed(kBidPx, bid_px) || !fixed(kBidQty, bid_qty) || !fixed(kAskPx, ask_px) ||
          !fixed(kAskQty, ask_qty) || (sc.has(kE_upper) && !millis(exch_ts))) {
        return drop(type, DropReason::BadNumber);
      }
      stats_.by_type.inc(type);
      // Field by field, like make_book_top (which GCC turns into two `rep movs` block copies here).
      std::memset(static_cast<void*>(&out), 0, sizeof out);
      out.exch_ts_ns = exch_ts;
      out.recv_ts_ns = msg.recv_ts_ns;
      out.book.bid_px = bid_px;
      out.book.bid_qty = bid_qty;
      out.book.ask_px = ask_px;
      out.book.ask_qty = ask_qty;
      out.book.venue_seq = seq;
      out.symbol_id = sym;
      out.kind = EventKind::BookTop;
      return true;
    }
    case T::Trade:
    case T::AggTrade: {
      uint64_t id = 0;
      Fixed px = 0, qty = 0;
      if (!millis(exch_ts) || !integer(type == T::Trade ? kT : kAskPx, id) || !fixed(kP, px) || !fixed(kQ, qty)) {
        return drop(type, DropReason::BadNumber);
      }
      stats_.by_type.inc(type);
      std::memset(static_cast<void*>(&out), 0, sizeof out);
      out.exch_ts_ns = exch_ts;
      out.recv_ts_ns = msg.recv_ts_ns;
      out.trade.px = px;
      out.trade.qty = qty;
      out.trade.trade_id = id;
      out.trade.aggressor = sc[kM].boolean ? Side::Sell : Side::Buy;  // m: the buyer is the maker
      out.symbol_id = sym;
      out.kind = EventKind::Trade;
      return true;
    }
    default: {  // DepthUpdate: validated and counted, no event (SPEC §9.5)
      if (!millis(exch_ts)) return drop(type, DropReason::BadNumber);
      stats_.by_type.inc(type);
      clock_only_ts_ns_ = exch_ts;
      return false;
    }
  }
}

}  // namespace tp::feed
