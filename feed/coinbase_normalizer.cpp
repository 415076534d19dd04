#include "feed/coinbase_normalizer.hpp"

#include "feed/symbol_cache.hpp"

#include <simdjson.h>
#if defined(__AVX2__) || defined(__PCLMUL__) || defined(__BMI__)
#include <immintrin.h>
#endif

#include "feed/book/depth_levels.hpp"
#include "feed/json_document_checks.hpp"
#include "feed/json_scalar.hpp"

#include <algorithm>
#include <array>
#include <bit>
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

// Per year 1970..2261: the days from 1970-01-01 to its 1 January, and whether it is a leap year
// (from the two functions above, at compile time: one load instead of their divisions per time).
constexpr unsigned kFirstYear = 1970, kLastYear = 2261;
struct YearInfo {
  int32_t jan1;
  bool leap;
};
constexpr std::array<YearInfo, kLastYear - kFirstYear + 1> kYears = [] {
  std::array<YearInfo, kLastYear - kFirstYear + 1> t{};
  for (unsigned y = kFirstYear; y <= kLastYear; ++y)
    t[y - kFirstYear] = YearInfo{static_cast<int32_t>(days_from_civil(y, 1, 1)), is_leap(y)};
  return t;
}();
// Days in the year before the first of each month (not a leap year), and each month's length.
constexpr unsigned kDaysBefore[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
constexpr unsigned kMonthDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
static_assert(kYears[2021 - kFirstYear].jan1 + kDaysBefore[3] + 16 == days_from_civil(2021, 4, 17));

constexpr int64_t kPow10[10] = {1,          10,          100,          1'000,         10'000,
                                100'000,    1'000'000,   10'000'000,   100'000'000,   1'000'000'000};

constexpr uint64_t kZeros8 = 0x3030303030303030ull;  // "00000000"

inline uint64_t load8(const char* p) noexcept {
  uint64_t x;
  std::memcpy(&x, p, 8);
  return x;
}

// true: every byte of w is an ASCII digit. A digit's high nibble is 3, also after adding 6
// (0x3A..0x3F become 0x4_). Adding 6 carries into the next byte only from a byte >= 0xFA, which
// fails the first test itself, so the answer is exact.
inline bool eight_digits(uint64_t w) noexcept {
  constexpr uint64_t kHighNibbles = 0xF0F0F0F0F0F0F0F0ull;
  const uint64_t high_nibble_not_3 = (w & kHighNibbles) ^ kZeros8;
  const uint64_t above_9 = ((w + 0x0606060606060606ull) & kHighNibbles) ^ kZeros8;
  return (high_nibble_not_3 | above_9) == 0;
}

// The value of eight ASCII digits loaded little-endian (first digit in the lowest byte), by three
// multiplies (the usual SWAR conversion: pairs, then quads, then all eight).
inline uint64_t eight_digits_value(uint64_t w) noexcept {
  w = ((w & 0x0F0F0F0F0F0F0F0Full) * 2561) >> 8;
  w = ((w & 0x00FF00FF00FF00FFull) * 6553601) >> 16;
  return ((w & 0x0000FFFF0000FFFFull) * 42949672960001ull) >> 32;
}

// Trailing zero bits of x, 64 for 0, without a branch where the target has TZCNT (GCC 12's
// std::countr_zero tests for 0 first; in the quote pass that cost ~10% of a ticker's time).
inline unsigned count_trailing_zeros(uint64_t x) noexcept {
#if defined(__BMI__)
  return static_cast<unsigned>(_tzcnt_u64(x));
#else
  return static_cast<unsigned>(std::countr_zero(x));
#endif
}

inline unsigned digit(char c) noexcept { return static_cast<unsigned>(static_cast<unsigned char>(c)) - '0'; }

}  // namespace

// The fixed-position fields are checked with three 8-byte loads (the string has at least 20 bytes,
// so they stay inside it) and no loop, the fraction with one more load that ends at its last digit:
// the normalizer parses a time per event, and the previous digit-by-digit loops cost about a tenth
// of a ticker's time.
bool parse_iso8601_utc_ns(std::string_view s, int64_t& out) noexcept {
  static_assert(std::endian::native == std::endian::little, "the byte masks below assume little-endian loads");
  // "YYYY-MM-DDTHH:MM:SSZ" (20) up to "YYYY-MM-DDTHH:MM:SS.fffffffffZ" (30).
  const std::size_t n = s.size();
  if (n < 20 || n > 30) return false;
  const char* p = s.data();
  const uint64_t a = load8(p);       // bytes 0..7:   "YYYY-MM-"
  const uint64_t b = load8(p + 8);   // bytes 8..15:  "DDTHH:MM"
  const uint64_t c = load8(p + 12);  // bytes 12..19: "H:MM:SS?" (16..18 are the ones left)
  // The separators, then the digits (the other bytes of a load replaced by '0' for the test).
  constexpr uint64_t kSepA = 0xFF0000FF00000000ull;  // bytes 4, 7
  constexpr uint64_t kSepB = 0x0000FF0000FF0000ull;  // bytes 10, 13
  constexpr uint64_t kSepC = 0x000000FF00000000ull;  // byte 16
  constexpr uint64_t kDigC = 0x00FFFF0000000000ull;  // bytes 17, 18
  if ((a & kSepA) != ((uint64_t{'-'} << 56) | (uint64_t{'-'} << 32)) ||
      (b & kSepB) != ((uint64_t{':'} << 40) | (uint64_t{'T'} << 16)) || (c & kSepC) != (uint64_t{':'} << 32)) {
    return false;
  }
  if (!eight_digits((a & ~kSepA) | (kZeros8 & kSepA)) || !eight_digits((b & ~kSepB) | (kZeros8 & kSepB)) ||
      !eight_digits((c & kDigC) | (kZeros8 & ~kDigC))) {
    return false;
  }
  // Each byte's digit value (its low nibble), then in byte k the two-digit value of bytes k, k+1
  // (at most 15 * 10 + 15 per byte: no carry between bytes).
  auto pairs = [](uint64_t w) noexcept {
    const uint64_t v = w & 0x0F0F0F0F0F0F0F0Full;
    return v * 10 + (v >> 8);
  };
  auto byte = [](uint64_t w, int k) noexcept { return static_cast<unsigned>((w >> (8 * k)) & 0xFF); };
  const uint64_t pa = pairs(a), pb = pairs(b), pc = pairs(c);
  const unsigned year = byte(pa, 0) * 100 + byte(pa, 2);
  const unsigned month = byte(pa, 5);
  const unsigned day = byte(pb, 0);
  const unsigned hour = byte(pb, 3);
  const unsigned minute = byte(pb, 6);
  const unsigned second = byte(pc, 5);
  if (year < kFirstYear || year > kLastYear || month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59)
    return false;
  const YearInfo& y = kYears[year - kFirstYear];
  const unsigned feb29 = y.leap && month > 2 ? 1 : 0;  // a day more before March
  if (day < 1 || day > kMonthDays[month - 1] + (y.leap && month == 2 ? 1 : 0)) return false;
  // Then 'Z' (20 bytes), or '.', 1 to 9 digits and 'Z' (22 to 30 bytes).
  int64_t frac = 0;
  if (n == 20) {
    if (p[19] != 'Z') return false;
  } else {
    if (n == 21 || p[19] != '.' || p[n - 1] != 'Z') return false;
    const std::size_t k = n - 21;                              // fraction digits, at p[20 .. n-2]
    const std::size_t last8 = k < 8 ? k : 8;                   // of them in the load below
    const uint64_t keep = ~uint64_t{0} << (8 * (8 - last8));   // its top `last8` bytes
    const uint64_t w = (load8(p + n - 9) & keep) | (kZeros8 & ~keep);  // bytes n-9 .. n-2 (n-9 >= 13)
    if (!eight_digits(w)) return false;
    frac = static_cast<int64_t>(eight_digits_value(w));  // the last `last8` digits, '0's in front
    if (k == 9) {
      if (digit(p[20]) > 9) return false;
      frac += static_cast<int64_t>(digit(p[20])) * 100'000'000;
    } else {
      frac *= kPow10[9 - k];
    }
  }
  const int64_t days = y.jan1 + static_cast<int64_t>(kDaysBefore[month - 1] + feb29 + day - 1);
  const int64_t secs = days * 86'400 + hour * 3'600 + minute * 60 + second;
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
  kChanges,  // level2 (read with enable_depth() only): l2update "changes", snapshot "bids", "asks"
  kBids,
  kAsks,
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
    case 'c':
      return key_is(k, "changes") ? kChanges : -1;
    case 'a':
      return key_is(k, "asks") ? kAsks : -1;
    case 'b':
      if (key_is(k, "bids")) return kBids;
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

// One field value as found (a "type"/"product_id" string unescaped when it holds a backslash; an
// array as its JSON text). No field here is a bool, so ScalarKind::Bool, like Other, is simply not
// the kind any check asks for.
using Kind = json::ScalarKind;
using Slot = json::Scalar;

struct Scan {
  Slot slots[kNumKeys + 1];  // + a spare the fast path writes the values of unread keys to
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


// ---------------------------------------------------------------------------------------------
// Fast path: a strict reader for the compact JSON Coinbase actually sends (no whitespace, no
// escapes, plain ASCII), mirroring the Binance normalizer's. Profiled on the recorded tickers and
// matches (perf, callgrind), the simdjson path spent ~70% of its time in On-Demand's field
// iteration and read_scalar (raw_json_token, a memchr per text value, get_uint64) for every one of
// the 10 to 15 fields, and ~14% in stage 1 (in all ~3x a plain On-Demand read of the 6 or
// 7 fields it needs).
// This reader instead:
//   - makes one SIMD pass over the message that checks every byte is in its alphabet and lists
//     where the strings end (the 2nd, 4th, ... '"': no string holds a quote, so parity alone tells
//     an opening quote from a closing one). A string then costs one load from that list, and the
//     position after it never waits for a scan of its bytes;
//   - recognises the keys of ticker and match messages by their fixed order (kTickerFields,
//     kMatchFields: a key compared in place with the one expected there), any other key by a hash;
//   - keeps what scan_object keeps, and nothing for keys it does not read.
// It accepts only this subset of JSON, which it checks completely by itself, so a message it
// accepts needs no simdjson pass:
//
//   doc    := object EOF                        (no whitespace anywhere, nothing after the '}')
//   object := '{' [ string ':' value { ',' string ':' value } ] '}'
//   array  := '[' [ value { ',' value } ] ']'
//   value  := string | uint | "true" | "false" | "null" | array | object
//             (objects and arrays nest at most kFastMaxDepth deep, the document included)
//   string := '"' { byte 0x20..0x7E other than '"' and '\' } '"'   (no escapes: the raw bytes are
//                                                                      the value)
//   uint   := '0' | [1-9] [0-9]{0,18}                               (always fits uint64_t)
//
// and the message is at most kFastMaxBytes long (the list has a fixed size). Every byte is
// checked: those inside strings by the alphabet pass, all others by the rules above.
//
// It fills the Scan's slots and mask bits of our keys exactly as scan_object does for the same
// document (same keys, same last-one-counts rule, the same Slot for each value: a string's raw
// bytes, which scan_object also keeps when there is no backslash), so everything after the scan is
// shared. Anything outside the subset (whitespace, escapes, non-ASCII, negative, fractional,
// exponent or long numbers, deep nesting, truncation, trailing bytes, longer messages) makes it
// give up, and the message takes the simdjson path, which decides: the fast path never rejects, so
// the normalizer accepts and rejects exactly what the simdjson path does
// (tests/fuzz/fuzz_coinbase_fast_path.cpp compares the two on arbitrary bytes). Reads: only bytes
// before the end decide anything; the 64-byte block loads and the 8-byte key and number loads
// start before the end and so stay inside the kPayloadPadding bytes, and quotes in the padding are
// not listed.
static_assert(kPayloadPadding >= 64, "the quote pass loads 64 bytes from any block start before the end");
static_assert(std::endian::native == std::endian::little, "the fast path's byte tricks assume little-endian loads");

// Coinbase ticker and match messages are ~300-400 bytes; l2update messages with a few changes
// fit too. Snapshots (kilobytes) go to simdjson, whose stage 1 is faster on long inputs anyway.
constexpr std::size_t kFastMaxBytes = 4096;
constexpr int kFastMaxDepth = 8;  // subscriptions need 4: object > array > object > array
constexpr uint32_t kNoQuote = UINT32_MAX;  // ends the closing-quote list; never a position
// The closing-quote list: at most one per two bytes, the sentinel, and room for the unconditional
// writes of the last block (flatten_bits writes 8 entries past the current end).
constexpr std::size_t kQuoteListSize = kFastMaxBytes / 2 + 8 + 1;

// Reads a message in 64-byte blocks: the quote bits of each block, and whether any byte of the
// message is outside the fast alphabet (0x20..0x7E, other than '\').
#if defined(__AVX2__)
class BlockScanner {
 public:
  // Quote bits of the block at p, all of whose bytes are the message's.
  uint64_t block(const char* p) noexcept {
    const __m256i lo = load(p), hi = load(p + 32);
    bad_ = _mm256_or_si256(bad_, _mm256_or_si256(out_of_range(lo), out_of_range(hi)));  // tested once, at the end
    return bits(_mm256_cmpeq_epi8(lo, _mm256_set1_epi8('"'))) |
           bits(_mm256_cmpeq_epi8(hi, _mm256_set1_epi8('"'))) << 32;
  }
  // The same for the last block, of which only the bytes whose bits are set in `valid` are.
  uint64_t last_block(const char* p, uint64_t valid) noexcept {
    const __m256i lo = load(p), hi = load(p + 32);
    last_bad_ = (bits(out_of_range(lo)) | bits(out_of_range(hi)) << 32) & valid;
    return (bits(_mm256_cmpeq_epi8(lo, _mm256_set1_epi8('"'))) |
            bits(_mm256_cmpeq_epi8(hi, _mm256_set1_epi8('"'))) << 32) & valid;
  }
  bool all_in_alphabet() const noexcept { return _mm256_testz_si256(bad_, bad_) && last_bad_ == 0; }

 private:
  static __m256i load(const char* p) noexcept { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
  // c + 1 as a signed byte is below 0x21 exactly when c is 0x00..0x1F (-> 0x01..0x20), 0x7F..0xFE
  // (-> negative) or 0xFF (-> 0x00): one compare for "not 0x20..0x7E".
  static __m256i out_of_range(__m256i c) noexcept {
    return _mm256_or_si256(_mm256_cmpgt_epi8(_mm256_set1_epi8(0x21), _mm256_add_epi8(c, _mm256_set1_epi8(1))),
                           _mm256_cmpeq_epi8(c, _mm256_set1_epi8('\\')));
  }
  static uint64_t bits(__m256i m) noexcept { return static_cast<uint32_t>(_mm256_movemask_epi8(m)); }

  __m256i bad_ = _mm256_setzero_si256();
  uint64_t last_bad_ = 0;
};
#else
// Portable fallback (no AVX2 at compile time): the same, eight bytes at a time.
class BlockScanner {
 public:
  uint64_t block(const char* p) noexcept { return last_block(p, ~uint64_t{0}); }
  uint64_t last_block(const char* p, uint64_t valid) noexcept {
    uint64_t quote = 0, bad = 0;
    for (int k = 0; k < 8; ++k) {
      const uint64_t x = load8(p + 8 * k);
      const uint64_t below_20 = ~((x & kLow7) + kOnes * 0x60) & ~x & kHigh;  // 0x00..0x1F
      const uint64_t b = (x & kHigh) | below_20 | zero_bytes(x ^ (kOnes * 0x7F)) | zero_bytes(x ^ (kOnes * '\\'));
      quote |= gather_high_bits(zero_bytes(x ^ (kOnes * '"'))) << (8 * k);
      bad |= gather_high_bits(b) << (8 * k);
    }
    bad_ |= bad & valid;
    return quote & valid;
  }
  bool all_in_alphabet() const noexcept { return bad_ == 0; }

 private:
  static constexpr uint64_t kOnes = 0x0101010101010101ull;
  static constexpr uint64_t kHigh = 0x8080808080808080ull;
  static constexpr uint64_t kLow7 = 0x7F7F7F7F7F7F7F7Full;
  // Bit 7 of each byte of x that is zero; exact for every byte (no carry between bytes).
  static uint64_t zero_bytes(uint64_t x) noexcept { return ~(((x & kLow7) + kLow7) | x) & kHigh; }
  // Bit 7 of byte k -> bit k (the eight flags gathered by one multiply; no two terms collide).
  static uint64_t gather_high_bits(uint64_t h) noexcept { return ((h >> 7) * 0x0102040810204080ull) >> 56; }

  uint64_t bad_ = 0;
};
#endif

// Prefix XOR: bit j of the result is the XOR of bits 0..j of x (one carry-less multiply by all
// ones where the target has it, else six shift steps).
inline uint64_t prefix_xor(uint64_t x) noexcept {
#if defined(__PCLMUL__)
  return static_cast<uint64_t>(_mm_cvtsi128_si64(_mm_clmulepi64_si128(_mm_set_epi64x(0, static_cast<int64_t>(x)),
                                                                      _mm_set1_epi8(static_cast<char>(0xFF)), 0)));
#else
  for (int k = 1; k < 64; k *= 2) x ^= x << k;
  return x;
#endif
}

// Appends the positions of the set bits of `bits` (block at `base`) to `out`. Writes 8 entries
// unconditionally (a block of a Coinbase ticker or match ends ~5 strings: no branch on the count in
// the common case); the entries past the returned end are garbage that the next block or the
// sentinel overwrites.
inline uint32_t* flatten_bits(uint32_t* out, uint64_t bits, uint32_t base) noexcept {
  const int count = std::popcount(bits);
  for (int k = 0; k < 8; ++k) {
    out[k] = base + count_trailing_zeros(bits);  // (64 once the bits are used up: garbage)
    bits &= bits - 1;
  }
  for (int k = 8; k < count; ++k) {
    out[k] = base + count_trailing_zeros(bits);
    bits &= bits - 1;
  }
  return out + count;
}

// Lists, in order, the positions of the '"'s of p[0..n) that close a string (the 2nd, 4th, ...
// quote: no string holds a quote, so parity alone tells opening from closing), followed by
// kNoQuote; false if a byte of p[0..n) is outside the fast alphabet. n <= kFastMaxBytes.
inline bool list_closing_quotes(const char* p, std::size_t n, uint32_t* closing) noexcept {
  BlockScanner scan;
  uint64_t inside = 0;  // all ones when a string is open at the end of the previous block
  uint32_t* end = closing;
  for (std::size_t at = 0; at < n; at += 64) {
    // The last, partial block: bytes past the end are padding.
    const uint64_t quote =
        n - at >= 64 ? scan.block(p + at) : scan.last_block(p + at, (uint64_t{1} << (n - at)) - 1);
    // Bit j of `open`: a string is open after byte j (its opening quote included, its closing
    // quote not), so the closing quotes are the quotes where it is not.
    const uint64_t open = prefix_xor(quote) ^ inside;
    end = flatten_bits(end, quote & ~open, static_cast<uint32_t>(at));
    inside = static_cast<uint64_t>(static_cast<int64_t>(open) >> 63);
  }
  *end = kNoQuote;
  return scan.all_in_alphabet();
}

// Keys on the fast path: identified from their raw bytes (no escapes) and their length. A key that
// is none of ours gives kNumKeys (the Scan's spare slot).
struct KeyName {
  std::string_view name;
  int idx;
};
constexpr KeyName kKeyNames[] = {{"type", kType},         {"product_id", kProductId}, {"sequence", kSequence},
                                 {"time", kTime},         {"best_bid", kBestBid},     {"best_ask", kBestAsk},
                                 {"best_bid_size", kBestBidSize}, {"best_ask_size", kBestAskSize}, {"price", kPrice},
                                 {"size", kSize},         {"trade_id", kTradeId},     {"side", kSide},
                                 {"changes", kChanges},   {"bids", kBids},            {"asks", kAsks}};
static_assert(std::size(kKeyNames) == kNumKeys);

// What key_index gives for a key (constexpr, for the tables below).
constexpr int index_of_key(std::string_view name) noexcept {
  for (const KeyName& k : kKeyNames)
    if (k.name == name) return k.idx;
  return kNumKeys;
}

constexpr uint64_t low_bytes_mask(std::size_t n) noexcept { return n >= 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * n)) - 1; }

// A key of up to 16 bytes as its two little-endian 8-byte loads give it, masked to its length.
struct KeyBytes {
  uint64_t lo = 0, hi = 0;
  uint32_t len = 0;
};
constexpr KeyBytes key_bytes(std::string_view name) noexcept {
  KeyBytes k;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const uint64_t b = static_cast<unsigned char>(name[i]);
    if (i < 8) k.lo |= b << (8 * i); else k.hi |= b << (8 * (i - 8));
  }
  k.len = static_cast<uint32_t>(name.size());
  return k;
}

static_assert(kPayloadPadding >= 16, "a key is read as two 8-byte loads from its first byte");
// By key length 0..16: the masks of its bytes in the first and the second 8-byte load.
struct KeyMasks {
  uint64_t lo[17], hi[17];
};
constexpr KeyMasks kKeyMasks = [] {
  KeyMasks m{};
  for (std::size_t len = 0; len <= 16; ++len) {
    m.lo[len] = low_bytes_mask(len);
    m.hi[len] = len > 8 ? low_bytes_mask(len - 8) : 0;
  }
  return m;
}();
// The key at k, `len` <= 16 bytes (the loads may run into the padding; the masks drop those bytes).
inline KeyBytes load_key(const char* k, uint32_t len) noexcept {
  return KeyBytes{load8(k) & kKeyMasks.lo[len], load8(k + 8) & kKeyMasks.hi[len], len};
}
inline bool same_key(const KeyBytes& a, const KeyBytes& b) noexcept {
  return ((a.lo ^ b.lo) | (a.hi ^ b.hi) | (a.len ^ b.len)) == 0;
}

// Any key: a perfect hash of its bytes and one probe of a table of our keys (no branch depends on
// which key it is).
struct KeyEntry {
  KeyBytes key;  // len 0: empty (an empty key matches it, and is none of ours either)
  int idx = kNumKeys;
};
constexpr int kKeyTableBits = 6;
constexpr std::size_t key_hash(const KeyBytes& k, uint64_t salt) noexcept {
  return static_cast<std::size_t>(((k.lo ^ (k.hi * 31) ^ k.len) * (0x9E3779B97F4A7C15ull ^ salt)) >> (64 - kKeyTableBits));
}
struct KeyTable {
  KeyEntry slots[1 << kKeyTableBits];
  uint64_t salt = 0;
};
constexpr KeyTable kKeyTable = [] {
  for (uint64_t salt = 0;; ++salt) {  // the first salt without collisions (found at compile time)
    KeyTable t{};
    t.salt = salt;
    bool ok = true;
    for (const KeyName& k : kKeyNames) {
      KeyEntry& e = t.slots[key_hash(key_bytes(k.name), salt)];
      ok = ok && e.key.len == 0;
      e = KeyEntry{key_bytes(k.name), k.idx};
    }
    if (ok) return t;
  }
}();

inline int key_index_hashed(const KeyBytes& k) noexcept {
  const KeyEntry& e = kKeyTable.slots[key_hash(k, kKeyTable.salt)];
  return same_key(e.key, k) ? e.idx : kNumKeys;
}

// The fields of ticker and match messages in the order Coinbase sends them (the recordings in
// tests/data/coinbase/; the ticker's best_bid_size and best_ask_size are in the current format
// only). Once "type" says ticker or match, the bytes at each key are first compared with the
// quoted key expected there, then with the one after it (a field that is absent, like the sizes in
// 2021), and only then is the key read and looked up by hash. A match is two 8-byte compares that
// also give the key's end, instead of masking the key and a hash with a dependent table load:
// ~10% of a ticker's time. The order only decides how fast a key is found, never what it is found
// to be: a match means the key is exactly that one.
struct ExpectedKey {
  uint64_t w0, w1;  // `"key"` (quotes included) as two little-endian 8-byte loads give it ...
  uint64_t m0, m1;  // ... masked to its length (at most 16 bytes)
  uint32_t quoted_len;
  int idx;
};
template <std::size_t N>
constexpr std::array<ExpectedKey, N> field_order(const std::string_view (&names)[N]) noexcept {
  std::array<ExpectedKey, N> order{};
  for (std::size_t i = 0; i < N; ++i) {
    ExpectedKey& e = order[i];
    const std::size_t len = names[i].size() + 2;  // <= 16 (checked below)
    for (std::size_t j = 0; j < len; ++j) {
      const uint64_t b = j == 0 || j == len - 1 ? '"' : static_cast<unsigned char>(names[i][j - 1]);
      if (j < 8) e.w0 |= b << (8 * j); else e.w1 |= b << (8 * (j - 8));
    }
    e.m0 = low_bytes_mask(len);
    e.m1 = len > 8 ? low_bytes_mask(len - 8) : 0;
    e.quoted_len = static_cast<uint32_t>(len);
    e.idx = index_of_key(names[i]);
  }
  return order;
}
constexpr std::string_view kTickerFields[] = {"sequence", "product_id", "price", "open_24h", "volume_24h",
                                              "low_24h", "high_24h", "volume_30d", "best_bid", "best_bid_size",
                                              "best_ask", "best_ask_size", "side", "time", "trade_id", "last_size"};
constexpr std::string_view kMatchFields[] = {"trade_id", "maker_order_id", "taker_order_id", "side", "size",
                                             "price", "product_id", "sequence", "time"};
template <std::size_t N>
constexpr bool quoted_keys_fit(const std::string_view (&names)[N]) noexcept {
  for (std::string_view k : names)
    if (k.size() + 2 > 16) return false;
  return true;
}
static_assert(quoted_keys_fit(kTickerFields) && quoted_keys_fit(kMatchFields), "at_key compares 16 bytes");
constexpr auto kTickerOrder = field_order(kTickerFields);
constexpr auto kMatchOrder = field_order(kMatchFields);  // also last_match

// true: the bytes at p (two 8-byte loads: p is before the message's last byte, so they stay in the
// padding) begin with the quoted key `e`. A '"' there is not a '}', so a match lies entirely before
// the message's last byte, which is a '}'.
inline bool at_key(const char* p, const ExpectedKey& e) noexcept {
  return (((load8(p) ^ e.w0) & e.m0) | ((load8(p + 8) ^ e.w1) & e.m1)) == 0;
}

// Reads values of a message whose closing-quote list is built (so the message is in the fast
// alphabet). Invariant: every string that ends before the position has been consumed from the list
// (the bytes outside strings are checked one by one, and none is a quote), so a '"' at the
// position opens a string, and the next listed closing quote ends it.
class FastReader {
 public:
  FastReader(const char* p, std::size_t n, std::size_t i, const uint32_t* closing) noexcept
      : p_(p), n_(n), i_(i), close_(closing) {}

  std::size_t pos() const noexcept { return i_; }
  const char* at(std::size_t i) const noexcept { return p_ + i; }
  const uint32_t* closing() const noexcept { return close_; }
  // The next byte, or '\0' at the end ('\0' is never valid here, so it stops every rule).
  char peek() const noexcept { return i_ < n_ ? p_[i_] : '\0'; }
  bool eat(char c) noexcept {
    if (peek() != c) return false;
    ++i_;
    return true;
  }

  // string: the bytes between the quotes (no escapes in the fast alphabet); by the invariant, the
  // next listed closing quote is the one of a string that starts here.
  bool string(const char*& s, uint32_t& len) noexcept {
    if (peek() != '"') return false;
    const uint32_t close = *close_;
    if (close == kNoQuote) return false;
    s = p_ + i_ + 1;
    len = close - static_cast<uint32_t>(i_) - 1;
    i_ = close + 1;
    ++close_;
    return true;
  }

  // uint (see the grammar), eight digits at a time. (Branchy on purpose: the digit count of a
  // field is nearly always that of the message before, so the branches predict it and the
  // position after the number does not wait for the digit tests; a branch-free version that
  // handles 16 digits at once measured ~10% slower on the recorded tickers.)
  bool uint(uint64_t& v) noexcept {
    const std::size_t start = i_;
    if (start >= n_ || !json::is_digit(p_[start])) return false;
    if (p_[start] == '0') {  // JSON allows no leading zero: a digit after it fails the caller's rule
      v = 0;
      i_ = start + 1;
      return true;
    }
    std::size_t j = start;
    uint64_t x = 0;
    for (;;) {
      const uint64_t w = load8(p_ + j);  // j < n: the load stays in the padding
      // A digit's high nibble is 3, also after adding 6 (0x3A..0x3F become 0x4_). The bytes before
      // the first non-digit are digits, so no carry reaches it: its flag is exact.
      const uint64_t high_nibble_not_3 = (w & (kOnes8 * 0xF0)) ^ (kOnes8 * 0x30);
      const uint64_t above_9 = ((w + kOnes8 * 6) & (kOnes8 * 0xF0)) ^ (kOnes8 * 0x30);
      const uint64_t not_digit = nonzero_bytes(high_nibble_not_3 | above_9);
      unsigned k = not_digit != 0 ? static_cast<unsigned>(std::countr_zero(not_digit)) / 8 : 8;
      if (j + k > n_) k = static_cast<unsigned>(n_ - j);  // digits in the padding do not count
      if (k != 0) x = x * kPow10Int[k] + digits_value(w, k);
      j += k;
      if (k < 8 || j - start > 19 || j == n_) break;
    }
    if (j - start > 19) return false;  // 20 digits and more: left to the simdjson path
    v = x;
    i_ = j;
    return true;
  }

  bool word(std::string_view w) noexcept {
    if (n_ - i_ < w.size() || std::memcmp(p_ + i_, w.data(), w.size()) != 0) return false;
    i_ += w.size();
    return true;
  }

 private:
  static constexpr uint64_t kOnes8 = 0x0101010101010101ull;
  static constexpr uint64_t kPow10Int[9] = {1, 10, 100, 1'000, 10'000, 100'000, 1'000'000, 10'000'000, 100'000'000};
  // Bit 7 of each byte of x that is not zero; exact for every byte.
  static uint64_t nonzero_bytes(uint64_t x) noexcept {
    constexpr uint64_t kHigh8 = 0x8080808080808080ull;
    return (((x & ~kHigh8) + ~kHigh8) | x) & kHigh8;
  }
  // Value of the k (1..8) ASCII digits in the low bytes of x (first digit lowest): moved to the
  // top, '0's in front.
  static uint64_t digits_value(uint64_t x, unsigned k) noexcept {
    const unsigned pad = 8 * (8 - k);
    return eight_digits_value((x << pad) | (kZeros8 & ((uint64_t{1} << pad) - 1)));
  }

  const char* p_;
  std::size_t n_;
  std::size_t i_;
  const uint32_t* close_;  // the next closing quote not consumed yet
};

// One value of the fast grammar, recorded as json::read_scalar records it (an array as Kind::Array
// with its text, '[' to ']'; an object as Kind::Other, its contents checked and not kept). `depth`:
// the nesting of the object or array the value is in.
bool fast_value(FastReader& r, Slot& s, int depth) noexcept {
  const char c = r.peek();
  if (c == '"') {
    s.kind = Kind::String;
    s.unescaped = false;
    return r.string(s.str, s.len);
  }
  if (json::is_digit(c)) {
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
  s.kind = Kind::Other;
  if (depth >= kFastMaxDepth) return false;
  Slot ignored;
  const std::size_t start = r.pos();
  if (r.eat('[')) {
    if (!r.eat(']')) {
      do {
        if (!fast_value(r, ignored, depth + 1)) return false;
      } while (r.eat(','));
      if (!r.eat(']')) return false;
    }
    s.kind = Kind::Array;
    s.str = r.at(start);
    s.len = static_cast<uint32_t>(r.pos() - start);
    return true;
  }
  if (r.eat('{')) {
    if (r.eat('}')) return true;
    do {
      const char* k = nullptr;
      uint32_t klen = 0;
      if (!r.string(k, klen) || !r.eat(':') || !fast_value(r, ignored, depth + 1)) return false;
    } while (r.eat(','));
    return r.eat('}');
  }
  return false;
}

// The fast twin of scan_object: true when the whole message is in the fast grammar, and then `sc`
// holds its scan. `closing` has room for kQuoteListSize entries.
//
// The top-level object is read inline, string values without a call: first and last byte are
// checked to be '{' and '}' up front, so any position after a '"', ':' or ',' of the message is
// still inside it (none of those is the last byte) and needs no bounds check.
bool fast_scan(const Message& msg, Scan& sc, uint32_t* closing) noexcept {
  const char* p = msg.data;
  const std::size_t n = msg.size;
  if (n < 2 || n > kFastMaxBytes || p[0] != '{' || p[n - 1] != '}') return false;
  if (!list_closing_quotes(p, n, closing)) return false;
  if (n == 2) return true;  // {}
  const uint32_t* c = closing;  // the next closing quote (see FastReader's invariant)
  std::size_t i = 1;
  const ExpectedKey* next = nullptr;  // the field order once "type" says ticker or match
  const ExpectedKey* last = nullptr;
  for (;;) {
    // key: a string here, ended by the next closing quote.
    int idx;
    std::size_t key_end;
    if (next < last && at_key(p + i, next[0])) {
      idx = next[0].idx;
      key_end = i + next[0].quoted_len - 1;
      next += 1;
    } else if (last - next >= 2 && at_key(p + i, next[1])) {
      idx = next[1].idx;
      key_end = i + next[1].quoted_len - 1;
      next += 2;
    } else {
      if (p[i] != '"' || c[0] == kNoQuote) return false;
      key_end = c[0];
      const auto key_len = static_cast<uint32_t>(key_end - i - 1);
      idx = key_len <= 16 ? key_index_hashed(load_key(p + i + 1, key_len)) : kNumKeys;
    }
    ++c;  // (a matched key's closing quote is the next listed one too: it ends the string at i)
    Slot& s = sc.slots[idx];  // the spare slot for a key we do not read
    if (p[key_end + 1] != ':') return false;
    i = key_end + 2;
    if (p[i] == '"') {  // a string value (most of them), ended by the next closing quote
      if (c[0] == kNoQuote) return false;
      if (idx != kNumKeys) {  // (a key we do not read: nothing to keep)
        s.kind = Kind::String;
        s.unescaped = false;
        s.str = p + i + 1;
        s.len = c[0] - static_cast<uint32_t>(i) - 1;
      }
      i = c[0] + 1;
      ++c;
      if (idx == kType && last == nullptr) {
        const std::string_view t(s.str, s.len);
        if (t == "ticker") {
          next = kTickerOrder.data();
          last = next + kTickerOrder.size();
        } else if (t == "match" || t == "last_match") {
          next = kMatchOrder.data();
          last = next + kMatchOrder.size();
        }
      }
    } else {
      FastReader r(p, n, i, c);
      if (json::is_digit(p[i])) {  // a sequence or trade id: inline, not through fast_value
        s.kind = Kind::Number;
        if (!r.uint(s.num)) return false;
      } else if (!fast_value(r, s, 1)) {
        return false;
      }
      i = r.pos();
      c = r.closing();
      if (i >= n) return false;
    }
    sc.mask |= 1u << idx;  // (the spare slot's bit, kNumKeys, is never asked for)
    if (p[i] != ',') break;
    ++i;
  }
  return p[i] == '}' && i == n - 1;
}

using T = CoinbaseMessageType;

// By length first, then a compare of known size (inlined: no memcmp call per message).
T classify(std::string_view t) noexcept {
  auto is = [&]<std::size_t N>(const char (&lit)[N]) noexcept { return std::memcmp(t.data(), lit, N - 1) == 0; };
  switch (t.size()) {
    case 4:
      if (is("open")) return T::Open;
      if (is("done")) return T::Done;
      return T::Other;
    case 5:
      if (is("match")) return T::Match;
      if (is("error")) return T::Error;
      return T::Other;
    case 6:
      if (is("ticker")) return T::Ticker;
      if (is("change")) return T::Change;
      if (is("status")) return T::Status;
      return T::Other;
    case 8:
      if (is("l2update")) return T::L2Update;
      if (is("snapshot")) return T::Snapshot;
      if (is("received")) return T::Received;
      return T::Other;
    case 9:
      return is("heartbeat") ? T::Heartbeat : T::Other;
    case 10:
      return is("last_match") ? T::LastMatch : T::Other;
    case 13:
      return is("subscriptions") ? T::Subscriptions : T::Other;
    default:
      return T::Other;
  }
}

// ---- level2 changes -----------------------------------------------------------------------------

// Tokens of an array's JSON text (already validated as JSON by the scan), with JSON whitespace
// allowed between them (the simdjson path keeps it; the fast path has none).
class TextCursor {
 public:
  explicit TextCursor(std::string_view t) noexcept : p_(t.data()), end_(t.data() + t.size()) {}
  bool eat(char c) noexcept {
    skip_space();
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }
  // A string without escapes (none can be a side or a number): its bytes.
  bool string(std::string_view& out) noexcept {
    if (!eat('"')) return false;
    const char* s = p_;
    while (p_ < end_ && *p_ != '"') {
      if (*p_ == '\\') return false;
      ++p_;
    }
    if (p_ == end_) return false;
    out = std::string_view(s, static_cast<std::size_t>(p_ - s));
    ++p_;
    return true;
  }
  bool at_end() noexcept {
    skip_space();
    return p_ == end_;
  }

 private:
  void skip_space() noexcept {
    while (p_ < end_ && json::is_space(*p_)) ++p_;
  }
  const char* p_;
  const char* end_;
};

// Reads an l2update's "changes", `[["buy"|"sell","price","size"],...]` (SPEC §9.9: price and size
// decimal strings), the counterpart of parse_depth_levels. The "buy" changes go to out[0..nb) and the
// "sell" changes to out[cap-na..cap), each side in message order (one pass: the asks are written
// from the back, then reversed). Each element is checked for its shape, then its side, price and
// size; the first bad element decides the result.
DepthLevelsResult parse_changes(std::string_view text, PriceLevel* out, std::size_t cap, std::size_t& nb,
                                std::size_t& na) noexcept {
  nb = na = 0;
  TextCursor c(text);
  if (!c.eat('[')) return DepthLevelsResult::WrongShape;
  if (c.eat(']')) return c.at_end() ? DepthLevelsResult::Ok : DepthLevelsResult::WrongShape;
  do {
    std::string_view side, px, qty;
    if (!c.eat('[') || !c.string(side) || !c.eat(',') || !c.string(px) || !c.eat(',') || !c.string(qty) ||
        !c.eat(']')) {
      return DepthLevelsResult::WrongShape;
    }
    if (nb + na == cap) return DepthLevelsResult::TooMany;
    PriceLevel l{0, 0};
    const bool buy = side == "buy";
    if ((!buy && side != "sell") || !parse_fixed(px, l.px) || !parse_fixed(qty, l.qty) || l.px == 0)
      return DepthLevelsResult::BadNumber;
    if (buy) {
      out[nb++] = l;
    } else {
      out[cap - 1 - na++] = l;
    }
  } while (c.eat(','));
  if (!c.eat(']') || !c.at_end()) return DepthLevelsResult::WrongShape;
  std::reverse(out + (cap - na), out + cap);
  return DepthLevelsResult::Ok;
}

DropReason drop_reason_of(DepthLevelsResult r) noexcept {
  switch (r) {
    case DepthLevelsResult::BadNumber: return DropReason::BadNumber;
    case DepthLevelsResult::TooMany: return DropReason::TooLarge;
    case DepthLevelsResult::WrongShape:
    case DepthLevelsResult::Ok: break;
  }
  return DropReason::WrongType;
}


}  // namespace

struct CoinbaseNormalizer::Impl {
  od::parser parser;
  Scan scan;
  SymbolCache symbols;
  uint32_t closing[kQuoteListSize];  // the fast path's closing-quote list (scratch, per message)
  Impl(const SymbolTable& table, std::size_t max_bytes) : parser(max_bytes), symbols(table) {
    if (parser.allocate(max_bytes) != simdjson::SUCCESS) throw std::bad_alloc();
  }
};

CoinbaseNormalizer::CoinbaseNormalizer(const SymbolTable& symbols, NormalizerStats& stats,
                                       std::size_t max_message_bytes)
    : impl_(std::make_unique<Impl>(symbols, max_message_bytes)),
      stats_(stats),
      max_message_bytes_(max_message_bytes) {
  stats_.by_type.set_names(kCoinbaseMessageTypeNames);
}

CoinbaseNormalizer::~CoinbaseNormalizer() = default;

void CoinbaseNormalizer::enable_depth() {
  // The shortest level, `["1","0"],`, is 10 bytes (a change, `["buy","1","0"],`, is longer).
  level_cap_ = max_message_bytes_ / 10 + 1;
  levels_ = std::make_unique<PriceLevel[]>(level_cap_);
}

bool CoinbaseNormalizer::read_depth(const Message& msg, T type) noexcept {
  auto drop = [&](DropReason reason) noexcept {
    stats_.by_type.inc(type);
    stats_.count_drop(reason, msg.data, msg.size, msg.recv_ts_ns);
    return false;
  };
  const Scan& sc = impl_->scan;
  const bool snapshot = type == T::Snapshot;
  // Required fields, in a fixed order: first the structure ...
  struct Req {
    int key;
    Kind kind;
  };
  static constexpr Kind S = Kind::String, A = Kind::Array;
  static constexpr Req kSnapshotReq[] = {{kProductId, S}, {kBids, A}, {kAsks, A}};
  static constexpr Req kUpdateReq[] = {{kProductId, S}, {kChanges, A}, {kTime, S}};
  for (const Req& r : snapshot ? std::span<const Req>(kSnapshotReq) : std::span<const Req>(kUpdateReq)) {
    if (!sc.has(r.key)) return drop(DropReason::MissingField);
    if (sc[r.key].kind != r.kind) return drop(DropReason::WrongType);
  }
  // ... then the symbol ...
  const Slot& product = sc[kProductId];
  const SymbolId sym = impl_->symbols.find(product.str, product.len, !product.unescaped);
  if (sym == kNoSymbol) return drop(DropReason::UnknownSymbol);
  // ... then the levels, and the time.
  int64_t exch_ts = msg.recv_ts_ns;
  if (snapshot) {
    std::size_t n = 0;
    DepthLevelsResult r = parse_depth_levels(sc.str(kBids), levels_.get(), level_cap_, n);
    const std::size_t nb = n;
    if (r == DepthLevelsResult::Ok) r = parse_depth_levels(sc.str(kAsks), levels_.get(), level_cap_, n);
    if (r != DepthLevelsResult::Ok) return drop(drop_reason_of(r));
    depth_.bids = {levels_.get(), nb};
    depth_.asks = {levels_.get() + nb, n - nb};
  } else {
    std::size_t nb = 0, na = 0;
    const DepthLevelsResult r = parse_changes(sc.str(kChanges), levels_.get(), level_cap_, nb, na);
    if (r != DepthLevelsResult::Ok) return drop(drop_reason_of(r));
    if (!parse_iso8601_utc_ns(sc.str(kTime), exch_ts)) return drop(DropReason::BadTime);
    depth_.bids = {levels_.get(), nb};
    depth_.asks = {levels_.get() + (level_cap_ - na), na};
    clock_only_ts_ns_ = exch_ts;
  }
  depth_.first_id = depth_.last_id = depth_.prev_last_id = 0;
  depth_.has_prev_last_id = false;
  depth_.exch_ts_ns = exch_ts;
  depth_.recv_ts_ns = msg.recv_ts_ns;
  depth_.symbol = sym;
  depth_.snapshot = snapshot;
  depth_valid_ = true;
  stats_.by_type.inc(type);
  return false;
}

bool CoinbaseNormalizer::normalize(const Message& msg, MarketEvent& out) noexcept {
  clock_only_ts_ns_ = -1;
  depth_valid_ = false;
  auto drop = [&](T type, DropReason reason) noexcept {
    stats_.by_type.inc(type);
    stats_.count_drop(reason, msg.data, msg.size, msg.recv_ts_ns);
    return false;
  };

  if (msg.size > max_message_bytes_) return drop(T::Other, DropReason::TooLarge);

  Scan& sc = impl_->scan;
  sc.mask = 0;
  if (!fast_scan(msg, sc, impl_->closing)) {
    // Not in the fast grammar: simdjson decides (and classifies anything that is not JSON).
    sc.mask = 0;
    DropReason why;
    if (!json::read_top_object(impl_->parser, msg, [&](od::object& obj) noexcept { return scan_object(obj, sc); }, why))
      return drop(T::Other, why);
  }

  if (!sc.has(kType)) return drop(T::Other, DropReason::UnknownMessageType);
  if (sc[kType].kind != Kind::String) return drop(T::Other, DropReason::WrongType);
  const T type = classify(sc.str(kType));
  if ((type == T::L2Update || type == T::Snapshot) && levels_ != nullptr) return read_depth(msg, type);
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
  const Slot& product = sc[kProductId];
  const SymbolId sym = impl_->symbols.find(product.str, product.len, !product.unescaped);
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
