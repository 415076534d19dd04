#include "feed/live/https_get.hpp"

#include "core/timing/wall_clock.hpp"

namespace tp::feed {
namespace {

constexpr std::size_t kReadBytes = 64 * 1024;

// The start of a body for an error message: one line, printable ASCII, at most 160 characters.
std::string printable_excerpt(std::string_view body) {
  std::string out;
  for (const char c : body.substr(0, 160)) out.push_back(c >= 0x20 && c < 0x7f ? c : ' ');
  if (body.size() > 160) out += "...";
  return out;
}

}  // namespace

std::string make_http_get_request(const HttpUrl& url) {
  std::string r = "GET ";
  r += url.target;
  r += " HTTP/1.1\r\nHost: ";
  r += url.host_header();
  r += "\r\nUser-Agent: tickpipe\r\nAccept: application/json\r\nAccept-Encoding: identity\r\n"
       "Connection: close\r\n\r\n";
  return r;
}

HttpGetter::HttpGetter(TlsClientContext* tls, std::size_t max_body_bytes)
    : tls_(tls), reader_(max_body_bytes), read_buf_(new uint8_t[kReadBytes]) {}

void HttpGetter::set_cancel_flag(const std::atomic<bool>* flag) noexcept {
  cancel_ = flag;
  socket_.set_cancel_flag(flag);
}

HttpGetResult HttpGetter::get(std::string_view url, int timeout_ms) {
  std::string why;
  const auto parsed = parse_http_url(url, why);
  if (!parsed) {
    HttpGetResult r;
    r.error = "the URL '" + std::string(url) + "' " + why;
    return r;
  }
  return get(*parsed, timeout_ms);
}

HttpGetResult HttpGetter::get(const HttpUrl& url, int timeout_ms) {
  const int64_t deadline = monotonic_ms() + timeout_ms;
  const std::string where = url.host + ":" + std::to_string(url.port);
  HttpGetResult r;
  reader_.reset();
  auto fail = [&](std::string why) {
    r.error = std::move(why);
    socket_.close();
    return r;
  };
  auto stopped = [&] { return cancel_ != nullptr && cancel_->load(std::memory_order_relaxed); };
  if (url.tls && tls_ == nullptr) return fail("an https:// request to " + url.host + " needs a TLS context");

  TlsConnectResult c = socket_.connect(url.host, url.port, url.tls, tls_, deadline);
  if (!c.ok) {
    r.certificate_error = c.certificate_error;
    return fail(stopped() ? "the request to " + where + " was cancelled" : std::move(c.error));
  }
  socket_.local_address(r.local);
  socket_.peer_address(r.remote);
  const std::string request = make_http_get_request(url);
  if (!socket_.write_all(reinterpret_cast<const uint8_t*>(request.data()), request.size(), deadline))
    return fail("cannot send the request to " + where);

  for (;;) {
    const long n = socket_.read(read_buf_.get(), kReadBytes);
    if (n > 0) {
      reader_.feed(read_buf_.get(), static_cast<std::size_t>(n));
      if (reader_.done()) {
        r.recv_ts_ns = realtime_ns();
        break;
      }
      if (reader_.failed()) break;
      continue;
    }
    if (n < 0) {  // the server closed: ends a body that runs until the close, or cuts one short
      reader_.finish();
      if (reader_.done()) r.recv_ts_ns = realtime_ns();
      break;
    }
    if (!socket_.wait_readable(deadline)) {
      if (stopped()) return fail("the request to " + where + " was cancelled");
      return fail("no complete answer from " + where + " within " + std::to_string(timeout_ms) + " ms");
    }
  }
  socket_.close();
  r.status = reader_.status();
  r.retry_after_s = reader_.retry_after_s();
  if (reader_.failed()) {
    r.error = "the answer of " + where + " is unusable: " + reader_.error();
    return r;
  }
  r.body = reader_.body();
  if (r.status != 200) {
    r.error = where + " answered HTTP " + std::to_string(r.status);
    if (r.retry_after_s >= 0) r.error += " (Retry-After " + std::to_string(r.retry_after_s) + " s)";
    // The venue says why in the body (Binance: {"code":-1121,"msg":"Invalid symbol."}).
    if (!r.body.empty()) r.error += ": " + printable_excerpt(r.body);
    return r;
  }
  r.ok = true;
  return r;
}

}  // namespace tp::feed
