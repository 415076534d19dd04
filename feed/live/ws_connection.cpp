#include "feed/live/ws_connection.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "core/timing/wall_clock.hpp"
#include "feed/http_upgrade.hpp"
#include "feed/live/session_recorder.hpp"
#include "feed/live/websocket_handshake.hpp"

namespace tp::feed {
namespace {

// Waits until `fd` is ready for `events` or the deadline passes; false on timeout or error.
bool wait_fd(int fd, short events, int64_t deadline_ms) noexcept {
  for (;;) {
    const int64_t left = deadline_ms - monotonic_ms();
    if (left <= 0) return false;
    pollfd p{fd, events, 0};
    const int r = ::poll(&p, 1, static_cast<int>(left));
    if (r > 0) return true;
    if (r < 0 && errno != EINTR) return false;
  }
}

std::string openssl_error() {
  const unsigned long e = ERR_get_error();
  if (e == 0) return "unknown TLS error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

bool is_ip_literal(const std::string& host) {
  in6_addr a6;
  in_addr a4;
  return ::inet_pton(AF_INET, host.c_str(), &a4) == 1 || ::inet_pton(AF_INET6, host.c_str(), &a6) == 1;
}

}  // namespace

TlsClientContext::TlsClientContext(const std::string& ca_file) {
  ctx_ = SSL_CTX_new(TLS_client_method());
  if (ctx_ == nullptr) throw std::runtime_error("cannot create a TLS context: " + openssl_error());
  SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
  if (SSL_CTX_set_default_verify_paths(ctx_) != 1) ERR_clear_error();  // no system store: ca_file only
  if (!ca_file.empty() && SSL_CTX_load_verify_locations(ctx_, ca_file.c_str(), nullptr) != 1) {
    const std::string why = openssl_error();
    SSL_CTX_free(ctx_);
    throw std::runtime_error("cannot load live.ca_file '" + ca_file + "': " + why);
  }
  SSL_CTX_set_mode(ctx_, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_ENABLE_PARTIAL_WRITE);
}

TlsClientContext::~TlsClientContext() { SSL_CTX_free(ctx_); }

WsConnection::WsConnection(const WsConnectOptions& options, TlsClientContext* tls, DecodeStats* stats)
    : options_(options),
      tls_(tls),
      stats_(stats),
      framer_(options.framer, stats),
      buf_(std::make_unique<uint8_t[]>(options.read_buffer_bytes)) {
  if (options_.url.tls && tls_ == nullptr) throw std::invalid_argument("a wss:// connection needs a TLS context");
  framer_.set_control_sink(ControlFn{this, &WsConnection::on_control});
}

WsConnection::~WsConnection() { reset_socket(); }

void WsConnection::reset_socket() noexcept {
  if (recorder_ != nullptr && fd_ >= 0) recorder_->close_connection(record_slot_, realtime_ns());
  record_slot_ = -1;
  if (ssl_ != nullptr) {
    SSL_free(ssl_);
    ssl_ = nullptr;
  }
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  closed_ = true;
}

void WsConnection::drop(const char* why) noexcept {
  if (closed_) return;
  close_reason_ = why;
  reset_socket();
}

WsConnectResult WsConnection::connect(int timeout_ms) {
  reset_socket();
  close_sent_ = false;
  peer_close_code_ = 0;
  close_reason_ = "";
  const WsUrl& url = options_.url;
  const std::string where = url.host + ":" + std::to_string(url.port);
  const int64_t deadline = monotonic_ms() + timeout_ms;
  WsConnectResult r;
  auto fail = [&](std::string why) {
    r.error = std::move(why);
    reset_socket();
    return r;
  };

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  if (const int e = ::getaddrinfo(url.host.c_str(), std::to_string(url.port).c_str(), &hints, &list); e != 0)
    return fail("cannot resolve " + url.host + ": " + gai_strerror(e));
  std::string last_error = "no address";
  for (addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    fd_ = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd_ < 0) {
      last_error = std::strerror(errno);
      continue;
    }
    if (::connect(fd_, ai->ai_addr, ai->ai_addrlen) == 0) break;
    if (errno == EINPROGRESS && wait_fd(fd_, POLLOUT, deadline)) {
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err == 0) break;
      last_error = std::strerror(err);
    } else {
      last_error = errno == EINPROGRESS ? "timed out" : std::strerror(errno);
    }
    ::close(fd_);
    fd_ = -1;
  }
  ::freeaddrinfo(list);
  if (fd_ < 0) return fail("cannot connect to " + where + ": " + last_error);
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  closed_ = false;
  if (recorder_ != nullptr) {
    sockaddr_storage local{}, remote{};
    socklen_t ll = sizeof local, rl = sizeof remote;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&local), &ll);
    ::getpeername(fd_, reinterpret_cast<sockaddr*>(&remote), &rl);
    record_slot_ = recorder_->open_connection(local, remote, realtime_ns());
  }

  if (url.tls) {
    ssl_ = SSL_new(tls_->get());
    if (ssl_ == nullptr) return fail("TLS with " + where + ": " + openssl_error());
    SSL_set_fd(ssl_, fd_);
    // SNI and the name the certificate must carry; an IP literal is checked as an address.
    if (is_ip_literal(url.host)) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), url.host.c_str());
    } else {
      SSL_set_tlsext_host_name(ssl_, url.host.c_str());
      SSL_set1_host(ssl_, url.host.c_str());
    }
    for (;;) {
      const int rc = SSL_connect(ssl_);
      if (rc == 1) break;
      const int e = SSL_get_error(ssl_, rc);
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        if (!wait_fd(fd_, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline))
          return fail("TLS handshake with " + where + " timed out");
        continue;
      }
      const long verify = SSL_get_verify_result(ssl_);
      if (verify != X509_V_OK) {
        r.certificate_error = true;
        return fail("the TLS certificate of " + url.host + " does not verify: " +
                    X509_verify_cert_error_string(verify));
      }
      return fail("TLS handshake with " + where + " failed: " + openssl_error());
    }
  }

  uint8_t nonce[16];
  if (RAND_bytes(nonce, sizeof nonce) != 1) return fail("no random bytes for the WebSocket key");
  const ClientHandshake hs = make_client_handshake(url, options_.offer_deflate, nonce);
  if (!write_all(reinterpret_cast<const uint8_t*>(hs.request.data()), hs.request.size(),
                 static_cast<int>(std::max<int64_t>(1, deadline - monotonic_ms()))))
    return fail("cannot send the WebSocket upgrade to " + where);

  HttpHeadCollector head;
  std::size_t have = 0;  // bytes of buf_ read, the head and whatever followed it
  std::size_t took = 0;
  while (head.state() == HttpHeadCollector::State::Collecting) {
    if (have == options_.read_buffer_bytes) return fail("the upgrade answer of " + where + " is too long");
    const long n = raw_read(buf_.get() + have, options_.read_buffer_bytes - have);
    if (n < 0) return fail("the server " + where + " closed the connection during the upgrade");
    if (n == 0) {
      if (!wait_fd(fd_, POLLIN, deadline)) return fail("the server " + where + " did not answer the upgrade in time");
      continue;
    }
    // Frames read together with the head carry this read's time, as they do in the recording.
    last_receive_ns_ = realtime_ns();
    if (recorder_ != nullptr) recorder_->bytes(record_slot_, false, buf_.get() + have, static_cast<std::size_t>(n), last_receive_ns_);
    took += head.feed(buf_.get() + have, static_cast<std::size_t>(n));
    have += static_cast<std::size_t>(n);
  }
  if (head.state() != HttpHeadCollector::State::Complete)
    return fail("the server " + where + " did not answer the upgrade with HTTP");
  const ServerHandshake sh = check_server_handshake(head.head(), hs.key, options_.offer_deflate);
  r.http_status = sh.status;
  if (!sh.ok) return fail(where + ": " + sh.error);
  extensions_ = sh.extensions;
  framer_.reset(DeflateParams{extensions_.deflate, extensions_.server_no_context_takeover,
                              extensions_.server_max_window_bits});
  r.ok = true;
  last_activity_ns_ = last_receive_ns_;
  // Frames that came in the same reads as the head.
  if (have > took) pending_ = {took, have};
  return r;
}

long WsConnection::raw_read(uint8_t* buf, std::size_t len) noexcept {
  if (ssl_ != nullptr) {
    const int n = SSL_read(ssl_, buf, static_cast<int>(len > (1u << 30) ? (1u << 30) : len));
    if (n > 0) return n;
    const int e = SSL_get_error(ssl_, n);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return 0;
    ERR_clear_error();
    return -1;
  }
  for (;;) {
    const ssize_t n = ::recv(fd_, buf, len, 0);
    if (n > 0) return static_cast<long>(n);
    if (n == 0) return -1;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
    return -1;
  }
}

bool WsConnection::write_all(const uint8_t* data, std::size_t len, int timeout_ms) noexcept {
  const int64_t deadline = monotonic_ms() + timeout_ms;
  const uint8_t* const all = data;
  const std::size_t all_len = len;
  while (len > 0) {
    long n;
    short want = POLLOUT;
    if (ssl_ != nullptr) {
      const int w = SSL_write(ssl_, data, static_cast<int>(len));
      if (w > 0) {
        n = w;
      } else {
        const int e = SSL_get_error(ssl_, w);
        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
          ERR_clear_error();
          return false;
        }
        if (e == SSL_ERROR_WANT_READ) want = POLLIN;
        n = 0;
      }
    } else {
      const ssize_t w = ::send(fd_, data, len, MSG_NOSIGNAL);
      if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return false;
      n = w < 0 ? 0 : w;
    }
    data += n;
    len -= static_cast<std::size_t>(n);
    if (len > 0 && n == 0 && !wait_fd(fd_, want, deadline)) return false;
  }
  if (recorder_ != nullptr) recorder_->bytes(record_slot_, true, all, all_len, realtime_ns());
  return true;
}

bool WsConnection::send_frame(uint8_t opcode, const uint8_t* payload, std::size_t len, int timeout_ms) noexcept {
  if (!open()) return false;
  uint8_t mask[4];
  if (RAND_bytes(mask, sizeof mask) != 1) return false;
  // Control frames and small messages go out of a stack buffer; the rare big one (a subscribe
  // for many streams, at start-up) from the heap.
  uint8_t small[256];
  std::vector<uint8_t> big;
  uint8_t* out = small;
  if (client_frame_size(len) > sizeof small) {
    big.resize(client_frame_size(len));
    out = big.data();
  }
  const std::size_t n = encode_client_frame(opcode, payload, len, mask, out);
  if (!write_all(out, n, timeout_ms)) {
    drop("write failed");
    return false;
  }
  return true;
}

bool WsConnection::send_text(std::string_view text, int timeout_ms) {
  return send_frame(kWsText, reinterpret_cast<const uint8_t*>(text.data()), text.size(), timeout_ms);
}

bool WsConnection::send_ping(std::string_view payload, int timeout_ms) {
  if (payload.size() > 125) payload = payload.substr(0, 125);
  return send_frame(kWsPing, reinterpret_cast<const uint8_t*>(payload.data()), payload.size(), timeout_ms);
}

void WsConnection::on_control(void* self, uint8_t opcode, const uint8_t* payload, std::size_t len) noexcept {
  auto* c = static_cast<WsConnection*>(self);
  if (opcode == kWsPing) {
    c->last_activity_ns_ = c->last_receive_ns_;
    // RFC 6455 §5.5.3 (and Binance): the pong echoes the ping's payload.
    c->send_frame(kWsPong, payload, len, 1000);
  } else if (opcode == kWsClose) {
    c->peer_close_code_ = len >= 2 ? static_cast<uint16_t>((payload[0] << 8) | payload[1]) : 1005;
    if (!c->close_sent_) {
      c->close_sent_ = true;
      uint8_t code[2] = {static_cast<uint8_t>(c->peer_close_code_ >> 8), static_cast<uint8_t>(c->peer_close_code_)};
      c->send_frame(kWsClose, code, c->peer_close_code_ == 1005 ? 0 : 2, 200);
    }
    c->drop("the server closed the connection");
  }
}

WsConnection::ReadStatus WsConnection::read(MessageFn out) noexcept {
  if (!open()) return ReadStatus::Closed;
  if (pending_.second > pending_.first) {
    // Frames that arrived with the upgrade's answer.
    const auto [from, to] = pending_;
    pending_ = {0, 0};
    framer_.feed(buf_.get() + from, to - from, last_receive_ns_, out);
    return open() ? ReadStatus::Data : ReadStatus::Closed;
  }
  const long n = raw_read(buf_.get(), options_.read_buffer_bytes);
  if (n == 0) return ReadStatus::WouldBlock;
  if (n < 0) {
    drop(ssl_ != nullptr ? "the TLS connection ended without a close frame" : "the connection was reset or ended without a close frame");
    return ReadStatus::Closed;
  }
  last_receive_ns_ = realtime_ns();
  if (recorder_ != nullptr) recorder_->bytes(record_slot_, false, buf_.get(), static_cast<std::size_t>(n), last_receive_ns_);
  const uint64_t before = (*stats_)[DecodeCounter::messages_websocket] + (*stats_)[DecodeCounter::ws_message_too_big];
  framer_.feed(buf_.get(), static_cast<std::size_t>(n), last_receive_ns_, out);
  if ((*stats_)[DecodeCounter::messages_websocket] + (*stats_)[DecodeCounter::ws_message_too_big] != before)
    last_activity_ns_ = last_receive_ns_;
  if (framer_.failed()) drop("the server sent bytes that are not WebSocket frames");
  return open() ? ReadStatus::Data : ReadStatus::Closed;
}

void WsConnection::close(uint16_t code) noexcept {
  if (!open()) return;
  if (!close_sent_) {
    close_sent_ = true;
    const uint8_t payload[2] = {static_cast<uint8_t>(code >> 8), static_cast<uint8_t>(code)};
    send_frame(kWsClose, payload, 2, 200);
    if (ssl_ != nullptr) SSL_shutdown(ssl_);
  }
  drop("closed by us");
}

}  // namespace tp::feed
