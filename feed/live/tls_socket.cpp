#include "feed/live/tls_socket.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "core/timing/wall_clock.hpp"

namespace tp::feed {
namespace {

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

// How long one poll() may sleep when a cancel flag is to be watched.
constexpr int64_t kCancelCheckMs = 100;

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

bool TlsSocket::wait(short events, int64_t deadline_ms) const noexcept {
  for (;;) {
    if (cancel_ != nullptr && cancel_->load(std::memory_order_relaxed)) return false;
    int64_t left = deadline_ms - monotonic_ms();
    if (left <= 0) return false;
    if (cancel_ != nullptr) left = std::min(left, kCancelCheckMs);
    pollfd p{fd_, events, 0};
    const int r = ::poll(&p, 1, static_cast<int>(left));
    if (r > 0) return true;
    if (r < 0 && errno != EINTR) return false;
  }
}

TlsConnectResult TlsSocket::connect_tcp(const std::string& host, uint16_t port, int64_t deadline_ms) {
  close();
  TlsConnectResult r;
  const std::string where = host + ":" + std::to_string(port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  if (const int e = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &list); e != 0) {
    r.error = "cannot resolve " + host + ": " + gai_strerror(e);
    return r;
  }
  std::string last_error = "no address";
  for (addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    fd_ = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd_ < 0) {
      last_error = std::strerror(errno);
      continue;
    }
    if (::connect(fd_, ai->ai_addr, ai->ai_addrlen) == 0) break;
    if (errno == EINPROGRESS && wait(POLLOUT, deadline_ms)) {
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
  if (fd_ < 0) {
    r.error = "cannot connect to " + where + ": " + last_error;
    return r;
  }
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  r.ok = true;
  return r;
}

TlsConnectResult TlsSocket::start_tls(const std::string& host, uint16_t port, TlsClientContext& tls,
                                      int64_t deadline_ms) {
  TlsConnectResult r;
  const std::string where = host + ":" + std::to_string(port);
  auto fail = [&](std::string why) {
    r.error = std::move(why);
    return r;
  };
  ssl_ = SSL_new(tls.get());
  if (ssl_ == nullptr) return fail("TLS with " + where + ": " + openssl_error());
  SSL_set_fd(ssl_, fd_);
  // SNI and the name the certificate must carry; an IP literal is checked as an address.
  if (is_ip_literal(host)) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), host.c_str());
  } else {
    SSL_set_tlsext_host_name(ssl_, host.c_str());
    SSL_set1_host(ssl_, host.c_str());
  }
  for (;;) {
    const int rc = SSL_connect(ssl_);
    if (rc == 1) break;
    const int e = SSL_get_error(ssl_, rc);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      if (!wait(e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline_ms))
        return fail("TLS handshake with " + where + " timed out");
      continue;
    }
    const long verify = SSL_get_verify_result(ssl_);
    if (verify != X509_V_OK) {
      r.certificate_error = true;
      return fail("the TLS certificate of " + host + " does not verify: " + X509_verify_cert_error_string(verify));
    }
    return fail("TLS handshake with " + where + " failed: " + openssl_error());
  }
  r.ok = true;
  return r;
}

TlsConnectResult TlsSocket::connect(const std::string& host, uint16_t port, bool use_tls, TlsClientContext* tls,
                                    int64_t deadline_ms) {
  TlsConnectResult r = connect_tcp(host, port, deadline_ms);
  if (!r.ok || !use_tls) return r;
  if (tls == nullptr) {
    close();
    r.ok = false;
    r.error = "a TLS connection to " + host + " needs a TLS context";
    return r;
  }
  r = start_tls(host, port, *tls, deadline_ms);
  if (!r.ok) close();
  return r;
}

long TlsSocket::read(uint8_t* buf, std::size_t len) noexcept {
  if (fd_ < 0) return -1;
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

bool TlsSocket::wait_readable(int64_t deadline_ms) noexcept {
  // Bytes OpenSSL already decrypted are readable even when the socket has nothing.
  if (ssl_ != nullptr && SSL_pending(ssl_) > 0) return true;
  return fd_ >= 0 && wait(POLLIN, deadline_ms);
}

bool TlsSocket::write_all(const uint8_t* data, std::size_t len, int64_t deadline_ms) noexcept {
  if (fd_ < 0) return false;
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
    if (len > 0 && n == 0 && !wait(want, deadline_ms)) return false;
  }
  return true;
}

void TlsSocket::shutdown_tls() noexcept {
  if (ssl_ != nullptr) SSL_shutdown(ssl_);
}

void TlsSocket::close() noexcept {
  if (ssl_ != nullptr) {
    SSL_free(ssl_);
    ssl_ = nullptr;
  }
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

bool TlsSocket::local_address(sockaddr_storage& out) const noexcept {
  socklen_t len = sizeof out;
  return fd_ >= 0 && ::getsockname(fd_, reinterpret_cast<sockaddr*>(&out), &len) == 0;
}

bool TlsSocket::peer_address(sockaddr_storage& out) const noexcept {
  socklen_t len = sizeof out;
  return fd_ >= 0 && ::getpeername(fd_, reinterpret_cast<sockaddr*>(&out), &len) == 0;
}

}  // namespace tp::feed
