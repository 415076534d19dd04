#include "exec/fix/fix_encoder.hpp"

#include <time.h>

#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "exec/fix/fix_message.hpp"

namespace tp::fix {

namespace {

constexpr char kSoh = '\x01';
constexpr std::string_view kBegin = "8=FIX.4.4\x01" "9=";

constexpr unsigned byte_sum_of(std::string_view s) noexcept {
  unsigned sum = 0;
  for (const char c : s) sum += static_cast<unsigned char>(c);
  return sum;
}
constexpr unsigned kBeginSum = byte_sum_of(kBegin);

// "00" "01" ... "99": two digits per lookup.
constexpr char kDigitPairs[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

// Copies a string literal (without its terminating NUL): a constant-size memcpy, i.e. one or two
// stores.
template <std::size_t N>
inline char* lit(char* w, const char (&s)[N]) noexcept {
  std::memcpy(w, s, N - 1);
  return w + (N - 1);
}

inline char* str(char* w, std::string_view s) noexcept {
  std::memcpy(w, s.data(), s.size());
  return w + s.size();
}

inline unsigned digit_count(uint64_t v) noexcept {
  unsigned n = 1;
  for (;;) {
    if (v < 10) return n;
    if (v < 100) return n + 1;
    if (v < 1000) return n + 2;
    if (v < 10000) return n + 3;
    v /= 10000;
    n += 4;
  }
}

// Writes exactly `n` digits of `v` (v < 10^n), right-aligned, two at a time.
inline void put_digits(char* w, uint64_t v, unsigned n) noexcept {
  char* p = w + n;
  while (v >= 100) {
    const auto pair = static_cast<std::size_t>(v % 100) * 2;
    v /= 100;
    p -= 2;
    std::memcpy(p, kDigitPairs + pair, 2);
  }
  if (v >= 10) {
    p -= 2;
    std::memcpy(p, kDigitPairs + static_cast<std::size_t>(v) * 2, 2);
  } else if (p > w) {
    *--p = static_cast<char>('0' + v);
  }
  while (p > w) *--p = '0';  // zero padding (fractions)
}

inline char* put_uint(char* w, uint64_t v) noexcept {
  const unsigned n = digit_count(v);
  put_digits(w, v, n);
  return w + n;
}

// A Fixed with its trailing fractional zeros (and a bare point) trimmed: 0.15, 61837.63, 5.
inline char* put_fixed(char* w, Fixed value) noexcept {
  constexpr auto scale = static_cast<uint64_t>(kScale);
  // Unsigned, so INT64_MIN is written correctly.
  uint64_t mag = static_cast<uint64_t>(value);
  if (value < 0) {
    *w++ = '-';
    mag = ~mag + 1;
  }
  w = put_uint(w, mag / scale);
  uint64_t frac = mag % scale;
  if (frac == 0) return w;
  unsigned n = kDecimalPlaces;
  while (frac % 100 == 0) {
    frac /= 100;
    n -= 2;
  }
  if (frac % 10 == 0) {
    frac /= 10;
    n -= 1;
  }
  *w++ = '.';
  put_digits(w, frac, n);
  return w + n;
}

inline char side_char(Side side) noexcept { return side == Side::Buy ? '1' : '2'; }

// Sum of n bytes, 16 at a time where SSE2 is there (every x86-64).
inline unsigned byte_sum(const char* p, std::size_t n) noexcept {
#if defined(__SSE2__)
  if (n >= 16) {
    const __m128i zero = _mm_setzero_si128();
    __m128i acc = zero;
    std::size_t i = 0;
    for (; i + 16 <= n; i += 16)
      acc = _mm_add_epi64(acc, _mm_sad_epu8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i)), zero));
    if (i != n) {
      // The last 16 bytes, the ones already summed masked off: kMask + k is 16 - k zeros then k 0xff.
      alignas(16) static constexpr unsigned char kMask[32] = {0,    0,    0,    0,    0,    0,    0,    0,
                                                              0,    0,    0,    0,    0,    0,    0,    0,
                                                              0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                                              0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
      const __m128i last = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + n - 16));
      const __m128i mask = _mm_loadu_si128(reinterpret_cast<const __m128i*>(kMask + (n - i)));
      acc = _mm_add_epi64(acc, _mm_sad_epu8(_mm_and_si128(last, mask), zero));
    }
    const __m128i hi = _mm_unpackhi_epi64(acc, acc);
    return static_cast<unsigned>(_mm_cvtsi128_si32(_mm_add_epi64(acc, hi)));
  }
#endif
  unsigned sum = 0;
  for (std::size_t i = 0; i < n; ++i) sum += static_cast<unsigned char>(p[i]);
  return sum;
}

}  // namespace

FixEncoder::FixEncoder(std::string_view sender_comp_id, std::string_view target_comp_id) {
  // "35=?<SOH>49=<sender><SOH>56=<target><SOH>34=": 16 bytes around the two CompIDs.
  const std::size_t prefix = 16 + sender_comp_id.size() + target_comp_id.size();
  if (prefix > kCapacity - kHeaderRoom - kMaxFixedPart - kTrailer) return;  // every message will be refused
  char* w = buf_ + kHeaderRoom;
  w = lit(w, "35=?\x01" "49=");
  w = str(w, sender_comp_id);
  w = lit(w, "\x01" "56=");
  w = str(w, target_comp_id);
  w = lit(w, "\x01" "34=");
  prefix_end_ = static_cast<std::size_t>(w - buf_);  // == kHeaderRoom + prefix
  prefix_sum_ = byte_sum(buf_ + kHeaderRoom, prefix) - static_cast<unsigned char>('?');
}

void FixEncoder::format_time(int64_t ns, char* out) noexcept { std::memcpy(out, time_text(ns), sizeof cached_time_); }

const char* FixEncoder::time_text(int64_t ns) noexcept {
  // ms / 1000 == ns / 1e9 and ms % 1000 == ns / 1e6 % 1000, also for negative ns (truncation).
  const int64_t ms = ns / 1'000'000;
  if (ms == cached_ms_) [[likely]]
    return cached_time_;
  const int64_t second = ms / 1000;
  if (second != cached_second_) {
    const time_t t = static_cast<time_t>(second);
    tm u{};
    gmtime_r(&t, &u);
    char* c = cached_time_;
    const int year = u.tm_year + 1900;
    const int parts[] = {year / 1000, year / 100 % 10, year / 10 % 10, year % 10};
    for (const int d : parts) *c++ = static_cast<char>('0' + d);
    auto two = [&c](int v) {
      *c++ = static_cast<char>('0' + v / 10);
      *c++ = static_cast<char>('0' + v % 10);
    };
    two(u.tm_mon + 1);
    two(u.tm_mday);
    *c++ = '-';
    two(u.tm_hour);
    *c++ = ':';
    two(u.tm_min);
    *c++ = ':';
    two(u.tm_sec);
    cached_second_ = second;
  }
  const int milli = static_cast<int>(ms % 1000);
  cached_time_[17] = '.';
  cached_time_[18] = static_cast<char>('0' + milli / 100);
  cached_time_[19] = static_cast<char>('0' + milli / 10 % 10);
  cached_time_[20] = static_cast<char>('0' + milli % 10);
  cached_ms_ = ms;
  return cached_time_;
}

char* FixEncoder::begin(char msg_type, uint64_t seq, int64_t now_ns, std::size_t var_bytes, bool poss_dup) noexcept {
  // One check for the whole message: its strings plus a bound on everything else.
  // (prefix_end_ is kCapacity when the CompIDs left no room: every message is refused.)
  if (prefix_end_ > kCapacity - kMaxFixedPart - kTrailer || var_bytes > kCapacity - kMaxFixedPart - kTrailer - prefix_end_)
    return nullptr;
  buf_[kHeaderRoom + 3] = msg_type;
  char* w = put_uint(buf_ + prefix_end_, seq);
  const char* time = time_text(now_ns);
  if (poss_dup) {
    w = lit(w, "\x01" "43=Y\x01" "122=");
    std::memcpy(w, time, 21);
    w += 21;
  }
  w = lit(w, "\x01" "52=");
  std::memcpy(w, time, 21);
  w += 21;
  *w++ = kSoh;
  return w;
}

std::string_view FixEncoder::finish(char* end) noexcept {
  const auto body_len = static_cast<std::size_t>(end - (buf_ + kHeaderRoom));
  const unsigned len_n = digit_count(body_len);  // the body is < kCapacity: at most 4 digits
  const std::size_t header = kBegin.size() + len_n + 1;
  char* start = buf_ + kHeaderRoom - header;
  std::memcpy(start, kBegin.data(), kBegin.size());
  put_digits(start + kBegin.size(), body_len, len_n);
  start[header - 1] = kSoh;
  // CheckSum: the constant parts' sums are known; only the length digits and what follows the
  // prefix are summed here.
  unsigned sum = kBeginSum + byte_sum(start + kBegin.size(), len_n + 1) + prefix_sum_ +
                 static_cast<unsigned char>(buf_[kHeaderRoom + 3]) +
                 byte_sum(buf_ + prefix_end_, static_cast<std::size_t>(end - (buf_ + prefix_end_)));
  sum &= 0xff;
  end[0] = '1';
  end[1] = '0';
  end[2] = '=';
  end[3] = static_cast<char>('0' + sum / 100);
  std::memcpy(end + 4, kDigitPairs + (sum % 100) * 2, 2);
  end[6] = kSoh;
  return std::string_view(start, static_cast<std::size_t>(end + kTrailer - start));
}

std::string_view FixEncoder::logon(uint64_t seq, int64_t now_ns, int heartbeat_s, bool reset_seq_num,
                                   std::string_view username, std::string_view password) noexcept {
  char* w = begin('A', seq, now_ns, username.size() + password.size());
  if (w == nullptr) return {};
  w = lit(w, "98=0\x01" "108=");
  w = put_uint(w, static_cast<uint64_t>(heartbeat_s));
  *w++ = kSoh;
  if (reset_seq_num) w = lit(w, "141=Y\x01");
  if (!username.empty()) {
    w = str(lit(w, "553="), username);
    *w++ = kSoh;
  }
  if (!password.empty()) {
    w = str(lit(w, "554="), password);
    *w++ = kSoh;
  }
  return finish(w);
}

std::string_view FixEncoder::heartbeat(uint64_t seq, int64_t now_ns, std::string_view test_req_id) noexcept {
  char* w = begin('0', seq, now_ns, test_req_id.size());
  if (w == nullptr) return {};
  if (!test_req_id.empty()) {
    w = str(lit(w, "112="), test_req_id);
    *w++ = kSoh;
  }
  return finish(w);
}

std::string_view FixEncoder::test_request(uint64_t seq, int64_t now_ns, std::string_view test_req_id) noexcept {
  char* w = begin('1', seq, now_ns, test_req_id.size());
  if (w == nullptr) return {};
  w = str(lit(w, "112="), test_req_id);
  *w++ = kSoh;
  return finish(w);
}

std::string_view FixEncoder::resend_request(uint64_t seq, int64_t now_ns, uint64_t begin_seq, uint64_t end_seq) noexcept {
  char* w = begin('2', seq, now_ns, 0);
  if (w == nullptr) return {};
  w = put_uint(lit(w, "7="), begin_seq);
  w = put_uint(lit(w, "\x01" "16="), end_seq);
  *w++ = kSoh;
  return finish(w);
}

std::string_view FixEncoder::gap_fill(uint64_t seq, int64_t now_ns, uint64_t new_seq) noexcept {
  char* w = begin('4', seq, now_ns, 0, /*poss_dup=*/true);
  if (w == nullptr) return {};
  w = put_uint(lit(w, "123=Y\x01" "36="), new_seq);
  *w++ = kSoh;
  return finish(w);
}

std::string_view FixEncoder::logout(uint64_t seq, int64_t now_ns, std::string_view text) noexcept {
  char* w = begin('5', seq, now_ns, text.size());
  if (w == nullptr) return {};
  if (!text.empty()) {
    w = str(lit(w, "58="), text);
    *w++ = kSoh;
  }
  return finish(w);
}

std::string_view FixEncoder::new_order_single(uint64_t seq, int64_t now_ns, std::string_view clordid,
                                              std::string_view symbol, Side side, OrderType type, Fixed qty,
                                              Fixed price) noexcept {
  char* w = begin('D', seq, now_ns, clordid.size() + symbol.size());
  if (w == nullptr) return {};
  w = str(lit(w, "11="), clordid);
  w = str(lit(w, "\x01" "55="), symbol);
  w = lit(w, "\x01" "54=");
  *w++ = side_char(side);
  w = lit(w, "\x01" "60=");
  std::memcpy(w, cached_time_, 21);  // begin() formatted now_ns
  w = put_fixed(lit(w + 21, "\x01" "38="), qty);
  if (type == OrderType::Market) {
    w = lit(w, "\x01" "40=1\x01" "59=3\x01");  // IOC (SPEC 11.2)
  } else {
    w = put_fixed(lit(w, "\x01" "40=2\x01" "44="), price);
    *w++ = kSoh;
  }
  return finish(w);
}

std::string_view FixEncoder::order_cancel_request(uint64_t seq, int64_t now_ns, std::string_view clordid,
                                                  std::string_view orig_clordid, std::string_view symbol, Side side,
                                                  Fixed qty) noexcept {
  char* w = begin('F', seq, now_ns, clordid.size() + orig_clordid.size() + symbol.size());
  if (w == nullptr) return {};
  w = str(lit(w, "41="), orig_clordid);
  w = str(lit(w, "\x01" "11="), clordid);
  w = str(lit(w, "\x01" "55="), symbol);
  w = lit(w, "\x01" "54=");
  *w++ = side_char(side);
  w = lit(w, "\x01" "60=");
  std::memcpy(w, cached_time_, 21);  // begin() formatted now_ns
  w = put_fixed(lit(w + 21, "\x01" "38="), qty);
  *w++ = kSoh;
  return finish(w);
}

std::string_view FixEncoder::order_status_request(uint64_t seq, int64_t now_ns, std::string_view clordid,
                                                  std::string_view symbol, Side side) noexcept {
  char* w = begin('H', seq, now_ns, clordid.size() + symbol.size());
  if (w == nullptr) return {};
  w = str(lit(w, "11="), clordid);
  w = str(lit(w, "\x01" "55="), symbol);
  w = lit(w, "\x01" "54=");
  *w++ = side_char(side);
  *w++ = kSoh;
  return finish(w);
}

}  // namespace tp::fix
