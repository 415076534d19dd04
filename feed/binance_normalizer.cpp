#include "feed/binance_normalizer.hpp"

#include "feed/symbol_cache.hpp"

#include <simdjson.h>

#include "feed/book/depth_levels.hpp"
#include "feed/json_document_checks.hpp"
#include "feed/json_scalar.hpp"

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
enum Key : uint8_t { kE_lower, kE_upper, kS, kU, kU_upper, kBidPx, kBidQty, kAskPx, kAskQty, kP, kQ, kT, kM, kNumKeys };
// In a depthUpdate, "b" and "a" (kBidPx, kAskPx) are the arrays of bid and ask levels; "U" is the
// first update id; "pu" (futures) is the previous diff's "u".

// Key byte -> Key, or -1: a table rather than a switch (no jump-table branch per field).
constexpr std::array<int8_t, 256> kKeyIndex = [] {
  std::array<int8_t, 256> t{};
  t.fill(-1);
  t['e'] = kE_lower;
  t['E'] = kE_upper;
  t['s'] = kS;
  t['u'] = kU;
  t['U'] = kU_upper;
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

// One field value as found (an "e"/"s" string unescaped when it holds a backslash); the fast path
// fills the same struct, so everything after the scan cannot tell which path read the message.
using Kind = json::ScalarKind;
using Slot = json::Scalar;

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
  Slot pu;              // depthUpdate "pu" (futures), when has_pu
  Slot last_update_id;  // REST snapshot "lastUpdateId", "bids", "asks"
  Slot bids;
  Slot asks;
  bool has_pu = false;
  bool has_bids = false;
  bool has_asks = false;

  // Forgets the previous message (the slots are only read where `mask` says they were assigned).
  void reset() noexcept {
    mask = 0;
    has_stream = has_data = data_is_object = false;
    has_result = has_id = has_last_update_id = false;
    has_pu = has_bids = has_asks = false;
    stream = {};
  }
  bool has(int k) const noexcept { return (mask >> k) & 1u; }
  const Slot& operator[](int k) const noexcept { return slots[k]; }
};

// `k` points just past a key's opening quote; the key's bytes are followed by its closing quote and
// the padded buffer, so reading lit.size() + 1 bytes is always in bounds.
template <std::size_t N>
inline bool key_is(const char* k, const char (&lit)[N]) noexcept {
  return std::memcmp(k, lit, N - 1) == 0 && k[N - 1] == '"';
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
      if (error_code err = json::read_scalar(f.value(), sc.slots[idx], idx == kE_lower || idx == kS)) return err;
      sc.mask |= 1u << idx;
      continue;
    }
    if (key_is(k, "pu")) {  // an event key: in "data", or at the top of a raw stream
      if (top && sc.has_data) continue;
      if (error_code err = json::read_scalar(f.value(), sc.pu, false)) return err;
      sc.has_pu = true;
      continue;
    }
    if (!top) continue;
    if (key_is(k, "data")) {
      sc.has_data = true;
      sc.mask = 0;  // the event is the envelope's data, nothing else
      sc.has_pu = false;
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
      while (!tok.empty() && json::is_space(tok.back())) tok.remove_suffix(1);
      if (tok.size() >= 2 && tok.front() == '"') sc.stream = tok.substr(1, tok.size() - 2);
    } else if (key_is(k, "result")) {
      sc.has_result = true;
    } else if (key_is(k, "id")) {
      sc.has_id = true;
    } else if (key_is(k, "lastUpdateId")) {
      sc.has_last_update_id = true;
      if (error_code err = json::read_scalar(f.value(), sc.last_update_id, false)) return err;
    } else if (key_is(k, "bids")) {
      sc.has_bids = true;
      if (error_code err = json::read_scalar(f.value(), sc.bids, false)) return err;
    } else if (key_is(k, "asks")) {
      sc.has_asks = true;
      if (error_code err = json::read_scalar(f.value(), sc.asks, false)) return err;
    }
  }
  return simdjson::SUCCESS;
}

// ---------------------------------------------------------------------------------------------
// Fast path: a strict reader for the compact JSON Binance actually sends. It accepts only a subset
// of JSON that it checks completely by itself, so a message it accepts needs no simdjson pass:
//
//   doc    := object(top) EOF                  (no whitespace anywhere, nothing after the '}')
//   object := '{' [ member { ',' member } ] '}'
//   member := string ':' value
//   value  := string | uint | "true" | "false" | "null" | array | object(inner)
//             (an object only as a top-level "data"; arrays nest at most 2 deep)
//   array  := '[' [ value { ',' value } ] ']'   (no object inside)
//   string := '"' { byte 0x20..0x7E other than '"' and '\' } '"'   (plain ASCII: no escapes, so
//                                                                      the raw bytes are the value)
//   uint   := '0' | [1-9] [0-9]{0,18}                               (always fits uint64_t)
//
// and, over the whole message, every byte is 0x20..0x7E and none is '\' (checked first, in one
// pass, so the rules below only look for their own delimiters).
//
// It fills the Scan exactly as scan_object does for the same document (same keys, same order rules,
// the same Slot for each value), so everything after the scan is shared. Anything outside the subset
// (whitespace, escapes, non-ASCII, negative/fractional/exponent/long numbers, deeper arrays,
// deeper objects, truncation, trailing bytes) makes it give up, and the message takes the simdjson
// path, which decides. Reads: only bytes before `end` decide anything; the 8-byte loads start before
// `end` and so stay inside the kPayloadPadding bytes.
static_assert(kPayloadPadding >= 8, "the fast path loads 8 bytes at any position before the end");
static_assert(std::endian::native == std::endian::little, "the fast path's byte tricks assume little-endian loads");

constexpr uint64_t kOnes = 0x0101010101010101ull;
constexpr uint64_t kHigh = 0x8080808080808080ull;

inline uint64_t load8(const char* p) noexcept {
  uint64_t x;
  std::memcpy(&x, p, 8);
  return x;
}

// Bit 7 of each byte of x that is zero. Exact for the lowest such byte only (a borrow can flag a
// byte above it), which is all the callers use.
inline uint64_t zero_bytes(uint64_t x) noexcept { return (x - kOnes) & ~x & kHigh; }

// Bit 7 of each byte of x that is not zero; exact for every byte.
inline uint64_t nonzero_bytes(uint64_t x) noexcept { return (((x & ~kHigh) + ~kHigh) | x) & kHigh; }

// true: every byte of the message is 0x20..0x7E and not '\' (the alphabet of the fast grammar).
// 32 bytes a step with the GCC/Clang vector extension (AVX2 where the target has it); the last step
// overlaps the one before, or, for a message under 32 bytes, reads into the padding and ignores it.
using Bytes32 = signed char __attribute__((vector_size(32)));  // signed: 0x80..0xFF are below 0x20
static_assert(kPayloadPadding >= 32, "plain_ascii reads 32 bytes from the start of a short message");

inline Bytes32 non_plain(const char* p) noexcept {
  Bytes32 c;
  std::memcpy(&c, p, 32);
  return (c < 0x20) | (c == 0x7F) | (c == '\\');
}

bool plain_ascii(const char* p, std::size_t n) noexcept {
  Bytes32 bad{};
  if (n < 32) {
    constexpr Bytes32 kLane = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
                               16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31};
    bad = non_plain(p) & (kLane < static_cast<signed char>(n));
  } else {
    for (std::size_t i = 0; i + 32 <= n; i += 32) bad |= non_plain(p + i);
    bad |= non_plain(p + n - 32);
  }
  uint64_t lanes[4];
  std::memcpy(lanes, &bad, 32);
  return (lanes[0] | lanes[1] | lanes[2] | lanes[3]) == 0;
}

// Value of the k (1..8) ASCII digits in the low bytes of x (first digit lowest).
inline uint64_t digits_value(uint64_t x, unsigned k) noexcept {
  const unsigned pad = 8 * (8 - k);  // the digits move to the top; '0's fill in front
  x = (x << pad) | ((kOnes * '0') & ((uint64_t{1} << pad) - 1));
  uint64_t v = x - kOnes * '0';
  v = (v * 10) + (v >> 8);
  return (((v & 0x000000FF000000FFull) * (100 + (1000000ull << 32))) +
          (((v >> 16) & 0x000000FF000000FFull) * (1 + (10000ull << 32)))) >> 32;
}

constexpr uint64_t kPow10[9] = {1, 10, 100, 1'000, 10'000, 100'000, 1'000'000, 10'000'000, 100'000'000};

// Reads a message known to be plain_ascii; see the grammar above.
class FastReader {
 public:
  FastReader(const char* p, const char* end) noexcept : p_(p), end_(end) {}

  bool at_end() const noexcept { return p_ == end_; }
  const char* position() const noexcept { return p_; }
  // The next byte, or '\0' at the end ('\0' is never valid here, so it stops every rule).
  char peek() const noexcept { return p_ < end_ ? *p_ : '\0'; }
  bool eat(char c) noexcept {
    if (peek() != c) return false;
    ++p_;
    return true;
  }

  // A one-byte key `"k":` (every event field): its byte, or '\0' if the next token is not one.
  char short_key() noexcept {
    if (end_ - p_ < 4) return '\0';
    uint32_t w;
    std::memcpy(&w, p_, 4);
    const char k = p_[1];
    if ((w & 0xFFFF00FFu) != 0x3A220022u || k == '"') return '\0';  // bytes '"', k, '"', ':'
    p_ += 4;
    return k;
  }

  // string: the bytes between the quotes (no escapes: the message is plain_ascii).
  bool string(const char*& s, uint32_t& len) noexcept {
    if (!eat('"')) return false;
    const char* q = find_quote(p_);
    if (q == nullptr) return false;
    s = p_;
    len = static_cast<uint32_t>(q - p_);
    p_ = q + 1;
    return true;
  }

  // A depth level `["price","qty"]`: the shape of nearly every element of a depth update's "b" and
  // "a". Consumes it and returns true when the next bytes have exactly that shape (two strings, no
  // whitespace); otherwise consumes nothing, and the general rules read the element.
  bool string_pair() noexcept {
    const char* q = p_;
    if (end_ - q < 7 || q[0] != '[' || q[1] != '"') return false;  // 7 = len(`["",""]`)
    const char* a = find_quote(q + 2);
    if (a == nullptr || end_ - a < 5 || a[1] != ',' || a[2] != '"') return false;
    const char* b = find_quote(a + 3);
    if (b == nullptr || end_ - b < 2 || b[1] != ']') return false;
    p_ = b + 2;
    return true;
  }

  // uint, eight digits at a time.
  bool uint(uint64_t& v) noexcept {
    const char* q = p_;
    if (q >= end_ || static_cast<unsigned char>(*q - '0') > 9) return false;
    if (*q == '0') {  // JSON allows no leading zero: a digit after it is not this grammar
      v = 0;
      p_ = q + 1;
      return true;
    }
    uint64_t x = 0;
    for (;;) {
      const uint64_t w = load8(q);
      // A digit's high nibble is 3, also after adding 6 (0x3A..0x3F become 0x4_). Message bytes are
      // ASCII, so adding 6 carries out of no byte before `end`.
      const uint64_t high_nibble_not_3 = (w & (kOnes * 0xF0)) ^ (kOnes * 0x30);
      const uint64_t above_9 = ((w + kOnes * 6) & (kOnes * 0xF0)) ^ (kOnes * 0x30);
      const uint64_t not_digit = nonzero_bytes(high_nibble_not_3 | above_9);
      unsigned k = not_digit != 0 ? static_cast<unsigned>(std::countr_zero(not_digit)) / 8 : 8;
      if (q + k > end_) k = static_cast<unsigned>(end_ - q);  // digits in the padding do not count
      if (k != 0) x = x * kPow10[k] + digits_value(w, k);
      q += k;
      if (k < 8 || q - p_ > 19) break;
    }
    if (q - p_ > 19) return false;  // 20 digits and more: left to the simdjson path
    v = x;
    p_ = q;
    return true;
  }

  // The first '"' at or after q before the end, or null. Eight bytes a step: a load may run into
  // the padding, and a quote found there does not count.
  const char* find_quote(const char* q) const noexcept {
    for (;;) {
      if (q >= end_) return nullptr;
      const uint64_t quote = zero_bytes(load8(q) ^ (kOnes * '"'));
      if (quote != 0) {
        q += std::countr_zero(quote) / 8;
        return q < end_ ? q : nullptr;
      }
      q += 8;
    }
  }

  bool word(std::string_view w) noexcept {
    if (static_cast<std::size_t>(end_ - p_) < w.size() || std::memcmp(p_, w.data(), w.size()) != 0) return false;
    p_ += w.size();
    return true;
  }

 private:
  const char* p_;
  const char* end_;
};

// One value of the fast grammar other than an object, recorded like json::read_scalar records it
// (an array is Kind::Other, its contents checked and not kept). `slot` may be null (a key whose
// value is checked but not kept).
bool fast_array(FastReader& r, int depth) noexcept;

inline bool fast_value(FastReader& r, Slot* slot, int array_depth = 2) noexcept {
  Slot tmp;
  Slot& s = slot != nullptr ? *slot : tmp;
  // Tested in order of frequency (fewer instructions than a jump table here).
  const char c = r.peek();
  if (c == '"') [[likely]] {
    s.kind = Kind::String;
    s.unescaped = false;
    return r.string(s.str, s.len);
  }
  if (static_cast<unsigned char>(c - '0') <= 9) {
    s.kind = Kind::Number;
    return r.uint(s.num);
  }
  if (c == 't' || c == 'f') {
    s.kind = Kind::Bool;
    s.boolean = c == 't';
    return r.word(c == 't' ? std::string_view("true") : std::string_view("false"));
  }
  if (c == 'n') {
    s.kind = Kind::Other;
    return r.word("null");
  }
  if (c == '[') {
    s.kind = Kind::Array;
    s.str = r.position();
    if (array_depth <= 0 || !fast_array(r, array_depth)) return false;
    s.len = static_cast<uint32_t>(r.position() - s.str);
    return true;
  }
  return false;
}

// array := '[' [ value { ',' value } ] ']'. `depth` 1: the elements are scalars; 2: they may also
// be arrays of scalars (a depth update's list of [price, qty] string pairs). String elements, the
// common case, are read without the Slot bookkeeping.
inline bool fast_scalar_array(FastReader& r) noexcept {
  if (!r.eat('[')) return false;
  if (r.eat(']')) return true;
  const char* s = nullptr;
  uint32_t len = 0;
  do {
    if (r.peek() == '"' ? !r.string(s, len) : !fast_value(r, nullptr, 0)) return false;
  } while (r.eat(','));
  return r.eat(']');
}

bool fast_array(FastReader& r, int depth) noexcept {
  if (depth < 2) return fast_scalar_array(r);
  if (!r.eat('[')) return false;
  if (r.eat(']')) return true;
  const char* s = nullptr;
  uint32_t len = 0;
  do {
    if (r.string_pair()) continue;  // to the `while`: the next ',' or the end
    const char c = r.peek();
    if (c == '"') {
      if (!r.string(s, len)) return false;
    } else if (c == '[') {
      if (!fast_scalar_array(r)) return false;
    } else if (!fast_value(r, nullptr, 0)) {
      return false;
    }
  } while (r.eat(','));
  return r.eat(']');
}

// The fast twin of scan_object (same rules, in the same order; see there).
bool fast_object(FastReader& r, Scan& sc, bool top) noexcept {
  if (!r.eat('{')) return false;
  if (r.eat('}')) return true;
  do {
    if (const char k = r.short_key(); k != '\0') {
      const int idx = kKeyIndex[static_cast<unsigned char>(k)];
      if (idx < 0 || (top && sc.has_data)) {
        if (!fast_value(r, nullptr)) return false;
        continue;
      }
      if (!fast_value(r, &sc.slots[idx])) return false;
      sc.mask |= 1u << idx;
      continue;
    }
    const char* k = nullptr;
    uint32_t klen = 0;
    if (!r.string(k, klen) || !r.eat(':')) return false;
    if (klen == 1) return false;  // short_key reads every valid one-byte key
    const std::string_view key(k, klen);
    if (key == "pu" && !(top && sc.has_data)) {  // an event key: in "data", or at the top of a raw stream
      if (!fast_value(r, &sc.pu)) return false;
      sc.has_pu = true;
    } else if (!top) {
      if (!fast_value(r, nullptr)) return false;
    } else if (key == "data") {
      sc.has_data = true;
      sc.mask = 0;
      sc.has_pu = false;
      if (r.peek() == '{') {
        sc.data_is_object = true;
        if (!fast_object(r, sc, false)) return false;
      } else if (!fast_value(r, nullptr)) {
        return false;
      }
    } else {
      Slot v;
      if (!fast_value(r, &v)) return false;
      if (key == "stream") {
        sc.has_stream = true;
        if (v.kind == Kind::String) sc.stream = std::string_view(v.str, v.len);
      } else if (key == "result") {
        sc.has_result = true;
      } else if (key == "id") {
        sc.has_id = true;
      } else if (key == "lastUpdateId") {
        sc.has_last_update_id = true;
        sc.last_update_id = v;
      } else if (key == "bids") {
        sc.has_bids = true;
        sc.bids = v;
      } else if (key == "asks") {
        sc.has_asks = true;
        sc.asks = v;
      }
    }
  } while (r.eat(','));
  return r.eat('}');
}

// true: the whole message is in the fast grammar and `sc` holds its scan.
bool fast_scan(const Message& msg, Scan& sc) noexcept {
  if (!plain_ascii(msg.data, msg.size)) return false;
  FastReader r(msg.data, msg.data + msg.size);
  return fast_object(r, sc, true) && r.at_end();
}


constexpr int64_t kMaxMillis = std::numeric_limits<int64_t>::max() / 1'000'000;


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

bool BinanceNormalizer::read_depth_levels(const json::Scalar& bids, const json::Scalar& asks, DropReason& why) noexcept {
  std::size_t n = 0;
  auto read = [&](const json::Scalar& s) noexcept {
    switch (parse_depth_levels(std::string_view(s.str, s.len), levels_.get(), level_cap_, n)) {
      case DepthLevelsResult::Ok: return true;
      case DepthLevelsResult::WrongShape: why = DropReason::WrongType; return false;
      case DepthLevelsResult::BadNumber: why = DropReason::BadNumber; return false;
      case DepthLevelsResult::TooMany: why = DropReason::TooLarge; return false;
    }
    why = DropReason::WrongType;
    return false;
  };
  if (!read(bids)) return false;
  const std::size_t nb = n;
  if (!read(asks)) return false;
  depth_.bids = {levels_.get(), nb};
  depth_.asks = {levels_.get() + nb, n - nb};
  return true;
}

void BinanceNormalizer::enable_depth() {
  // The shortest level, `["1","0"],`, is 10 bytes.
  level_cap_ = max_message_bytes_ / 10 + 1;
  levels_ = std::make_unique<PriceLevel[]>(level_cap_);
}

bool BinanceNormalizer::normalize(const Message& msg, MarketEvent& out) noexcept {
  using T = BinanceMessageType;
  clock_only_ts_ns_ = -1;
  depth_valid_ = false;

  auto drop = [&](T type, DropReason reason) noexcept {
    stats_.by_type.inc(type);
    stats_.count_drop(reason, msg.data, msg.size, msg.recv_ts_ns);
    return false;
  };

  if (msg.size > max_message_bytes_) return drop(T::Other, DropReason::TooLarge);

  Scan& sc = impl_->scan;
  sc.reset();
  if (!fast_scan(msg, sc)) {
    // Not in the fast grammar: simdjson decides (and classifies anything that is not JSON).
    sc.reset();
    DropReason why;
    if (!json::read_top_object(impl_->parser, msg, [&](od::object& obj) noexcept { return scan_object(obj, sc, true); }, why))
      return drop(T::Other, why);
  }

  // Non-event messages sharing the connection.
  if (!sc.has_data && !sc.has(kE_lower)) {
    if (sc.has_result) {
      stats_.by_type.inc(T::SubscriptionAck);
      return false;
    }
    if (sc.has_last_update_id) {
      if (levels_ == nullptr) {
        stats_.by_type.inc(T::DepthSnapshot);
        return false;
      }
      // REST snapshot: lastUpdateId, bids, asks required; "E" (futures) is its time when present.
      if (!sc.has_bids || !sc.has_asks) return drop(T::DepthSnapshot, DropReason::MissingField);
      if (sc.last_update_id.kind != Kind::Number || sc.bids.kind != Kind::Array || sc.asks.kind != Kind::Array ||
          (sc.has(kE_upper) && sc[kE_upper].kind != Kind::Number)) {
        return drop(T::DepthSnapshot, DropReason::WrongType);
      }
      int64_t ts = msg.recv_ts_ns;
      if (sc.has(kE_upper)) {
        if (sc[kE_upper].num > static_cast<uint64_t>(kMaxMillis)) return drop(T::DepthSnapshot, DropReason::BadNumber);
        ts = static_cast<int64_t>(sc[kE_upper].num) * 1'000'000;
      }
      // "s": the symbol, added by tickpipe to the snapshots it fetches itself (docs/order-book.md);
      // Binance's REST answer names none.
      SymbolId snap_sym = kNoSymbol;
      if (sc.has(kS)) {
        if (sc[kS].kind != Kind::String) return drop(T::DepthSnapshot, DropReason::WrongType);
        snap_sym = impl_->symbols.find(sc[kS].str, sc[kS].len, !sc[kS].unescaped);
        if (snap_sym == kNoSymbol) return drop(T::DepthSnapshot, DropReason::UnknownSymbol);
      }
      if (DropReason why{}; !read_depth_levels(sc.bids, sc.asks, why)) return drop(T::DepthSnapshot, why);
      depth_.first_id = depth_.last_id = sc.last_update_id.num;
      depth_.prev_last_id = 0;
      depth_.has_prev_last_id = false;
      depth_.exch_ts_ns = ts;
      depth_.recv_ts_ns = msg.recv_ts_ns;
      depth_.symbol = snap_sym;
      depth_.snapshot = true;
      depth_valid_ = true;
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
  static constexpr Kind A = Kind::Array;
  static constexpr Req kDepthLevelsReq[] = {{kE_upper, N}, {kS, S}, {kU_upper, N}, {kU, N}, {kBidPx, A}, {kAskPx, A}};
  std::span<const Req> reqs = type == T::BookTicker ? std::span<const Req>(kBookReq)
                              : type == T::Trade    ? std::span<const Req>(kTradeReq)
                              : type == T::AggTrade ? std::span<const Req>(kAggReq)
                              : levels_ != nullptr  ? std::span<const Req>(kDepthLevelsReq)
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
      set_book_top(out, sym, BookTop{bid_px, bid_qty, ask_px, ask_qty, seq}, exch_ts, msg.recv_ts_ns);
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
      const Side aggressor = sc[kM].boolean ? Side::Sell : Side::Buy;  // m: the buyer is the maker
      set_trade(out, sym, Trade{px, qty, id, aggressor}, exch_ts, msg.recv_ts_ns);
      return true;
    }
    default: {  // DepthUpdate: validated and counted, no event (SPEC §9.5)
      if (!millis(exch_ts)) return drop(type, DropReason::BadNumber);
      if (levels_ != nullptr) {
        if (sc.has_pu && sc.pu.kind != Kind::Number) {
          return drop(type, sc.pu.kind == Kind::BadInt ? DropReason::BadNumber : DropReason::WrongType);
        }
        if (!integer(kU_upper, depth_.first_id) || !integer(kU, depth_.last_id) || depth_.first_id > depth_.last_id) {
          return drop(type, DropReason::BadNumber);
        }
        if (DropReason why{}; !read_depth_levels(sc[kBidPx], sc[kAskPx], why)) return drop(type, why);
        depth_.prev_last_id = sc.has_pu ? sc.pu.num : 0;
        depth_.has_prev_last_id = sc.has_pu;
        depth_.exch_ts_ns = exch_ts;
        depth_.recv_ts_ns = msg.recv_ts_ns;
        depth_.symbol = sym;
        depth_.snapshot = false;
        depth_valid_ = true;
      }
      stats_.by_type.inc(type);
      clock_only_ts_ns_ = exch_ts;
      return false;
    }
  }
}

}  // namespace tp::feed
