#include "exec/fix/fix_message.hpp"

#include <cstring>

#if defined(__AVX2__) || defined(__SSE2__)
#include <immintrin.h>
#endif

namespace tp::fix {

namespace {

constexpr std::size_t kBlock = 64;

// Bit i set where p[i] is SOH, for the kBlock bytes at p (all readable).
inline uint64_t soh_bits(const char* p) noexcept {
#if defined(__AVX2__)
  const __m256i soh = _mm256_set1_epi8('\x01');
  const auto lo = static_cast<uint32_t>(
      _mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)), soh)));
  const auto hi = static_cast<uint32_t>(
      _mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32)), soh)));
  return static_cast<uint64_t>(lo) | static_cast<uint64_t>(hi) << 32;
#elif defined(__SSE2__)
  const __m128i soh = _mm_set1_epi8('\x01');
  uint64_t bits = 0;
  for (int k = 0; k < 4; ++k) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
    bits |= static_cast<uint64_t>(static_cast<uint16_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, soh)))) << (16 * k);
  }
  return bits;
#else
  uint64_t bits = 0;
  for (std::size_t k = 0; k < kBlock; ++k) bits |= static_cast<uint64_t>(p[k] == '\x01') << k;
  return bits;
#endif
}

// The same for the `n` (< kBlock) bytes at p, the last of a message of `len` bytes: read as the
// message's last kBlock bytes when it has that many (a copy would stall the load on the copy's
// stores), else copied out first; nothing outside the message is read either way.
inline uint64_t soh_bits_tail(const char* p, std::size_t n, std::size_t len) noexcept {
  if (len >= kBlock) return soh_bits(p + n - kBlock) >> (kBlock - n);
  alignas(32) char tail[kBlock] = {};
  std::memcpy(tail, p, n);
  return soh_bits(tail);
}

// read_tag's general case: any number of digits (and the errors).
inline const char* read_tag_any(const char* p, const char*& error, int& tag) noexcept {
  const char* q = p;
  unsigned t = 0;
  for (unsigned d = static_cast<unsigned char>(*q - '0'); d <= 9; d = static_cast<unsigned char>(*q - '0')) {
    if (q - p == 6) {
      error = "a tag longer than 6 digits";
      return nullptr;
    }
    t = t * 10 + d;
    ++q;
  }
  if (q == p || *q != '=' || t == 0) {  // at e, *q is the SOH
    error = "a field that is not <tag>=<value>";
    return nullptr;
  }
  tag = static_cast<int>(t);
  return q + 1;
}

// Reads the `<digits>=` of a field that starts at p and ends at e, where its SOH is: its tag into
// `tag` and where its value starts, or nullptr with `error` set. The SOH at e stops the digits,
// so nothing needs a bound: a byte is read only after the one before it was a digit (so not the
// SOH). Most tags have one to three digits and no leading zero: those are read without a loop.
inline const char* read_tag(const char* p, [[maybe_unused]] const char* e, int& tag, const char*& error) noexcept {
  const unsigned d0 = static_cast<unsigned char>(p[0] - '0');
  if (d0 - 1 < 9) {
    if (p[1] == '=') {
      tag = static_cast<int>(d0);
      return p + 2;
    }
    const unsigned d1 = static_cast<unsigned char>(p[1] - '0');
    if (d1 <= 9) {
      if (p[2] == '=') {
        tag = static_cast<int>(d0 * 10 + d1);
        return p + 3;
      }
      const unsigned d2 = static_cast<unsigned char>(p[2] - '0');
      if (d2 <= 9 && p[3] == '=') {
        tag = static_cast<int>(d0 * 100 + d1 * 10 + d2);
        return p + 4;
      }
    }
  }
  return read_tag_any(p, error, tag);
}

// The same for the bytes after a message's last SOH (nothing stops the digits but its end).
inline const char* read_tag_bounded(const char* p, const char* e, int& tag, const char*& error) noexcept {
  int t = 0;
  const char* q = p;
  while (q != e && static_cast<unsigned char>(*q - '0') <= 9) {
    if (q - p == 6) {
      error = "a tag longer than 6 digits";
      return nullptr;
    }
    t = t * 10 + (*q - '0');
    ++q;
  }
  if (q == p || q == e || *q != '=' || t == 0) {
    error = "a field that is not <tag>=<value>";
    return nullptr;
  }
  tag = t;
  return q + 1;
}

// 1..18 digits (no sign, no overflow possible).
inline bool parse_uint(std::string_view v, uint64_t& out) noexcept {
  if (v.empty() || v.size() > 18) return false;
  uint64_t n = 0;
  for (const char c : v) {
    const unsigned d = static_cast<unsigned char>(c - '0');
    if (d > 9) return false;
    n = n * 10 + d;
  }
  out = n;
  return true;
}

// The common shape of a FIX Qty/Price/Amt, `-?<1..10 digits>(.<1..8 digits>)?`, which cannot
// overflow: its exact value, or false for anything else (parse_fixed_signed then decides, so the
// grammar and the results are parse_fixed_signed's).
inline bool parse_short_fixed(std::string_view s, Fixed& out) noexcept {
  static constexpr uint64_t kPow10[9] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};
  const char* p = s.data();
  const char* const e = p + s.size();
  const bool neg = p != e && *p == '-';
  p += neg;
  const char* const int_start = p;
  uint64_t int_part = 0;
  for (unsigned d; p != e && (d = static_cast<unsigned char>(*p - '0')) <= 9; ++p) int_part = int_part * 10 + d;
  if (p == int_start || p - int_start > 10) return false;
  uint64_t frac = 0;
  if (p != e) {
    if (*p != '.') return false;
    const char* const frac_start = ++p;
    for (unsigned d; p != e && (d = static_cast<unsigned char>(*p - '0')) <= 9; ++p) frac = frac * 10 + d;
    const auto digits = static_cast<std::size_t>(p - frac_start);
    if (p != e || digits == 0 || digits > static_cast<std::size_t>(kDecimalPlaces)) return false;
    frac *= kPow10[static_cast<std::size_t>(kDecimalPlaces) - digits];
  }
  const auto value = static_cast<Fixed>(int_part * static_cast<uint64_t>(kScale) + frac);
  out = neg ? -value : value;
  return true;
}

}  // namespace

bool FixMessage::parse(std::string_view msg) noexcept {
  raw_ = msg;
  count_ = 0;
  msg_type_ = {};
  seq_ = 0;
  poss_dup_ = false;
  error_ = "";
  if (++generation_ == 256) {  // every 255 parses: forget the old generations
    index_.fill(0);
    generation_ = 1;
  }
  const char* const base = msg.data();
  const std::size_t n = msg.size();
  Field* const fields = fields_.data();
  uint16_t* const index = index_.data();
  const unsigned generation = generation_;
  std::size_t count = 0;
  std::size_t start = 0;  // where the field being read begins
  for (std::size_t block = 0; block < n; block += kBlock) {
    uint64_t bits = n - block >= kBlock ? soh_bits(base + block) : soh_bits_tail(base + block, n - block, n);
    while (bits != 0) {
      const std::size_t soh = block + static_cast<std::size_t>(__builtin_ctzll(bits));
      bits &= bits - 1;
      const char* const end = base + soh;
      int t = 0;
      const char* const value = read_tag(base + start, end, t, error_);
      if (value == nullptr || value == end || count == kMaxFields) {
        count_ = count;
        if (value == nullptr) return false;
        return fail(value == end ? "a tag without a value" : "too many fields");
      }
      fields[count] = Field{t, std::string_view(value, static_cast<std::size_t>(end - value))};
      if (static_cast<unsigned>(t) < kIndexedTags) {
        uint16_t& slot = index[static_cast<unsigned>(t)];
        if ((slot >> 8) != generation) slot = static_cast<uint16_t>(generation << 8 | count);
      }
      ++count;
      start = soh + 1;
    }
  }
  count_ = count;
  if (start != n) {  // bytes after the last SOH: a field cut short
    int t = 0;
    if (read_tag_bounded(base + start, base + n, t, error_) == nullptr) return false;
    return fail("a field without its SOH");
  }
  // BeginString, BodyLength, MsgType: the first three fields, in that order (FIX session rules).
  if (count_ < 4 || fields_[0].tag != tag::BeginString || fields_[1].tag != tag::BodyLength ||
      fields_[2].tag != tag::MsgType)
    return fail("BeginString, BodyLength and MsgType are not the first three fields");
  msg_type_ = fields_[2].value;
  const std::optional<std::string_view> seq_text = get(tag::MsgSeqNum);
  uint64_t seq = 0;
  if (!seq_text || !parse_uint(*seq_text, seq) || seq == 0) return fail("MsgSeqNum missing or not a positive integer");
  seq_ = seq;
  const std::optional<std::string_view> poss_dup = get(tag::PossDupFlag);
  poss_dup_ = poss_dup && *poss_dup == "Y";
  return true;
}

std::optional<std::string_view> FixMessage::get_slow(int t) const noexcept {
  for (std::size_t i = 0; i < count_; ++i)
    if (fields_[i].tag == t) return fields_[i].value;
  return std::nullopt;
}

std::optional<uint64_t> FixMessage::get_uint(int t) const noexcept {
  const auto v = get(t);
  uint64_t n = 0;
  if (!v || !parse_uint(*v, n)) return std::nullopt;
  return n;
}

std::optional<Fixed> FixMessage::get_fixed(int t) const noexcept {
  const auto v = get(t);
  if (!v) return std::nullopt;
  Fixed out = 0;
  if (!parse_short_fixed(*v, out) && !parse_fixed_signed(*v, out)) return std::nullopt;
  return out;
}

char FixMessage::get_char(int t) const noexcept {
  const auto v = get(t);
  return v && v->size() == 1 ? (*v)[0] : '\0';
}

}  // namespace tp::fix
