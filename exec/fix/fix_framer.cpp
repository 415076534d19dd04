#include "exec/fix/fix_framer.hpp"

namespace tp::fix {

namespace {
constexpr std::string_view kBegin = "8=FIX.4.4\x01" "9=";
constexpr std::size_t kTrailer = 7;  // "10=NNN<SOH>"
}  // namespace

FixFramer::FixFramer(std::size_t capacity) : buf_(std::make_unique<char[]>(capacity)), capacity_(capacity) {}

void FixFramer::consume(std::size_t n) noexcept {
  if (n >= size_) {
    size_ = 0;
    return;
  }
  std::memmove(buf_.get(), buf_.get() + n, size_ - n);
  size_ -= n;
}

bool FixFramer::align() noexcept {
  const std::string_view have(buf_.get(), size_);
  const std::size_t at = have.find(kBegin);
  if (at != std::string_view::npos) {
    if (at != 0) {
      stats_.garbage_bytes += at;
      consume(at);
    }
    return true;
  }
  // Keep the longest tail that may be the start of a BeginString split across reads.
  std::size_t keep = 0;
  for (std::size_t k = kBegin.size() - 1; k > 0; --k) {
    if (size_ >= k && have.substr(size_ - k) == kBegin.substr(0, k)) {
      keep = k;
      break;
    }
  }
  stats_.garbage_bytes += size_ - keep;
  consume(size_ - keep);
  return false;
}

FixFramer::Scan FixFramer::scan(std::size_t& msg_len, bool& bad_checksum) const noexcept {
  const char* p = buf_.get();
  std::size_t i = kBegin.size();
  std::size_t body = 0;
  std::size_t digits = 0;
  for (;; ++i, ++digits) {
    if (i == size_) return Scan::NeedMore;
    const char c = p[i];
    if (c == '\x01') break;
    if (c < '0' || c > '9' || digits == 7) return Scan::Garbled;  // not a length, or absurd
    body = body * 10 + static_cast<std::size_t>(c - '0');
  }
  if (digits == 0) return Scan::Garbled;
  const std::size_t body_start = i + 1;
  const std::size_t trailer = body_start + body;
  msg_len = trailer + kTrailer;
  if (msg_len > capacity_) return Scan::Garbled;
  if (size_ < msg_len) return Scan::NeedMore;
  const char* t = p + trailer;
  if (t[0] != '1' || t[1] != '0' || t[2] != '=' || t[6] != '\x01') return Scan::Garbled;
  unsigned sum = 0;
  for (std::size_t k = 0; k < trailer; ++k) sum += static_cast<unsigned char>(p[k]);
  unsigned given = 0;
  for (int k = 3; k < 6; ++k) {
    if (t[k] < '0' || t[k] > '9') return Scan::Garbled;
    given = given * 10 + static_cast<unsigned>(t[k] - '0');
  }
  if ((sum & 0xff) != given) {
    bad_checksum = true;
    return Scan::Garbled;
  }
  return Scan::Message;
}

}  // namespace tp::fix
