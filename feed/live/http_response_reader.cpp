#include "feed/live/http_response_reader.hpp"

#include <algorithm>
#include <cstring>

namespace tp::feed {
namespace {

constexpr std::size_t kMaxChunkLineBytes = 4096;     // a chunk-size line with its extensions
constexpr std::size_t kMaxTrailerBytes = 16 * 1024;  // all trailer lines together
constexpr std::size_t kMinBodyAllocation = 4096;

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// A header value quoted in an error message: short, printable.
std::string quoted(std::string_view v) {
  std::string out = "'";
  for (const char c : v.substr(0, 40)) out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  if (v.size() > 40) out += "...";
  return out + "'";
}

// A non-negative decimal number of at most 18 digits (no sign, no spaces inside); false otherwise.
bool parse_decimal(std::string_view v, uint64_t& out) noexcept {
  if (v.empty() || v.size() > 18) return false;
  uint64_t n = 0;
  for (const char c : v) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  out = n;
  return true;
}

int hex_value(uint8_t c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

HttpResponseReader::HttpResponseReader(std::size_t max_body_bytes, std::size_t max_head_bytes)
    : max_body_(max_body_bytes), head_(max_head_bytes) {}

void HttpResponseReader::reset() noexcept {
  head_.reset();
  state_ = State::Head;
  error_.clear();
  status_ = 0;
  retry_after_s_ = -1;
  framing_ = Framing::UntilClose;
  length_left_ = 0;
  chunk_ = Chunk::Size;
  chunk_left_ = 0;
  size_digits_ = 0;
  line_bytes_ = 0;
  trailer_bytes_ = 0;
  body_size_ = 0;
}

void HttpResponseReader::fail(std::string why) {
  if (state_ == State::Error) return;
  state_ = State::Error;
  error_ = std::move(why);
}

bool HttpResponseReader::reserve(std::size_t bytes) {
  const std::size_t need = bytes + kBodyPadding;
  if (need <= body_capacity_) return true;
  // Grow geometrically, but never past what the largest allowed body needs.
  const std::size_t cap = std::min(std::max({need, body_capacity_ * 2, kMinBodyAllocation}), max_body_ + kBodyPadding);
  std::unique_ptr<uint8_t[]> bigger(new uint8_t[cap]);
  if (body_size_ > 0) std::memcpy(bigger.get(), body_.get(), body_size_);
  body_ = std::move(bigger);
  body_capacity_ = cap;
  return true;
}

bool HttpResponseReader::append(const uint8_t* data, std::size_t len) {
  if (len > max_body_ - body_size_) {
    fail("the body is larger than the limit of " + std::to_string(max_body_) + " bytes");
    return false;
  }
  reserve(body_size_ + len);
  std::memcpy(body_.get() + body_size_, data, len);
  body_size_ += len;
  return true;
}

void HttpResponseReader::complete() noexcept {
  reserve(body_size_);
  std::memset(body_.get() + body_size_, 0, kBodyPadding);
  state_ = State::Done;
}

void HttpResponseReader::on_head() {
  const std::string_view head = head_.head();
  status_ = http_status_code(head);
  if (status_ < 100) {  // -1: no status line; below 100: no such status
    status_ = 0;
    return fail("the answer does not start with an HTTP/1.x status line");
  }
  if (status_ >= 100 && status_ < 200) {  // an interim response (100 Continue): the real one follows
    head_.reset();
    return;
  }
  std::string_view value;
  if (http_header_value(head, "retry-after", value)) {
    uint64_t s = 0;
    if (parse_decimal(value, s)) retry_after_s_ = static_cast<int64_t>(std::min<uint64_t>(s, 86400));
  }
  if (http_header_value(head, "content-encoding", value) && !value.empty() && !iequals(value, "identity"))
    return fail("the server sent a body with Content-Encoding " + quoted(value) +
                " although the request asked for identity");
  state_ = State::Body;
  if (http_header_value(head, "transfer-encoding", value)) {
    if (!iequals(value, "chunked"))
      return fail("the server sent a body with Transfer-Encoding " + quoted(value) + "; only chunked is supported");
    framing_ = Framing::Chunked;
    return;
  }
  if (http_header_value(head, "content-length", value)) {
    uint64_t n = 0;
    if (!parse_decimal(value, n)) return fail("the Content-Length " + quoted(value) + " is not a number");
    if (n > max_body_)
      return fail("the body (" + std::to_string(n) + " bytes) is larger than the limit of " +
                  std::to_string(max_body_) + " bytes");
    framing_ = Framing::Length;
    length_left_ = n;
    reserve(static_cast<std::size_t>(n));
    if (n == 0) complete();
    return;
  }
  if (status_ == 204 || status_ == 304) return complete();  // never a body
  framing_ = Framing::UntilClose;
}

std::size_t HttpResponseReader::feed_chunked(const uint8_t* data, std::size_t len) {
  std::size_t i = 0;
  auto end_size_line = [&] {
    if (size_digits_ == 0) return fail("a chunk-size line has no size");
    size_digits_ = 0;
    line_bytes_ = 0;
    if (chunk_left_ == 0) {
      chunk_ = Chunk::Trailer;  // the last chunk: trailers (or just the blank line) follow
    } else if (chunk_left_ > max_body_ - body_size_) {
      fail("the body is larger than the limit of " + std::to_string(max_body_) + " bytes");
    } else {
      chunk_ = Chunk::Data;
    }
  };
  while (i < len && state_ == State::Body) {
    const uint8_t c = data[i];
    switch (chunk_) {
      case Chunk::Size: {
        const int v = hex_value(c);
        if (v >= 0) {
          if (size_digits_ == 15) {
            fail("a chunk size has too many digits");
            return i;
          }
          chunk_left_ = chunk_left_ * 16 + static_cast<uint64_t>(v);
          ++size_digits_;
        } else if (c == ';' || c == ' ' || c == '\t') {
          if (size_digits_ == 0) {
            fail("a chunk-size line has no size");
            return i;
          }
          chunk_ = Chunk::Extension;
        } else if (c == '\r') {
          chunk_ = Chunk::SizeLf;
        } else if (c == '\n') {
          end_size_line();
        } else {
          {
            fail("a chunk size is not a hexadecimal number");
            return i;
          }
        }
        ++i;
        break;
      }
      case Chunk::Extension:  // ";name=value" after the size: ignored, bounded
        if (++line_bytes_ > kMaxChunkLineBytes) {
          fail("a chunk extension is too long");
          return i;
        }
        if (c == '\n') end_size_line();
        ++i;
        break;
      case Chunk::SizeLf:
        if (c != '\n') {
          fail("a chunk-size line does not end with CRLF");
          return i;
        }
        end_size_line();
        ++i;
        break;
      case Chunk::Data: {
        const std::size_t n = static_cast<std::size_t>(std::min<uint64_t>(chunk_left_, len - i));
        if (!append(data + i, n)) return i;
        i += n;
        chunk_left_ -= n;
        if (chunk_left_ == 0) chunk_ = Chunk::DataCr;
        break;
      }
      case Chunk::DataCr:
        if (c == '\r') {
          chunk_ = Chunk::DataLf;
        } else if (c == '\n') {
          chunk_ = Chunk::Size;
        } else {
          {
            fail("a chunk is longer than its size says (no CRLF after it)");
            return i;
          }
        }
        ++i;
        break;
      case Chunk::DataLf:
        if (c != '\n') {
          fail("a chunk is longer than its size says (no CRLF after it)");
          return i;
        }
        chunk_ = Chunk::Size;
        ++i;
        break;
      case Chunk::Trailer:  // header lines after the last chunk, up to a blank line: skipped
        if (++trailer_bytes_ > kMaxTrailerBytes) {
          fail("the trailer after the last chunk is too long");
          return i;
        }
        if (c == '\n') {
          if (line_bytes_ == 0) complete();
          line_bytes_ = 0;
        } else if (c != '\r') {
          ++line_bytes_;
        }
        ++i;
        break;
    }
  }
  return i;
}

void HttpResponseReader::feed(const uint8_t* data, std::size_t len) {
  while (len > 0 && (state_ == State::Head || state_ == State::Body)) {
    if (state_ == State::Head) {
      const std::size_t took = head_.feed(data, len);
      data += took;
      len -= took;
      if (head_.state() == HttpHeadCollector::State::NotHttp) {
        const bool starts_http = head_.head().substr(0, 5) == "HTTP/";
        return fail(starts_http ? "the response head is too long" : "the answer is not an HTTP response");
      }
      if (head_.state() == HttpHeadCollector::State::Complete) on_head();
      continue;
    }
    std::size_t took = len;
    if (framing_ == Framing::Length) {
      took = static_cast<std::size_t>(std::min<uint64_t>(length_left_, len));
      if (!append(data, took)) return;
      length_left_ -= took;
      if (length_left_ == 0) complete();
    } else if (framing_ == Framing::UntilClose) {
      if (!append(data, len)) return;
    } else {
      took = feed_chunked(data, len);
    }
    data += took;
    len -= took;
  }
}

void HttpResponseReader::finish() {
  switch (state_) {
    case State::Head:
      return fail(head_.head().empty() ? "the connection closed without an answer"
                                       : "the connection closed in the middle of the response head");
    case State::Body:
      if (framing_ == Framing::UntilClose) return complete();
      if (framing_ == Framing::Length)
        return fail("the connection closed after " + std::to_string(body_size_) + " of " +
                    std::to_string(body_size_ + length_left_) + " body bytes");
      return fail("the connection closed in the middle of the chunked body (after " + std::to_string(body_size_) +
                  " bytes)");
    case State::Done:
    case State::Error:
      return;
  }
}

}  // namespace tp::feed
