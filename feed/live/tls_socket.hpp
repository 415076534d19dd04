// TlsSocket: one client TCP connection, optionally under TLS, as every live connection to a venue
// opens it (the market-data WebSocket, the REST depth snapshot): names resolved, a non-blocking
// connect bounded by a deadline, TCP_NODELAY, then TLS on OpenSSL with SNI, the certificate
// verified against TlsClientContext's trust anchors and the host name (or IP address) checked.
//
// The one place in the code base that opens such a connection: WsConnection and HttpGetter both
// use it. connect_tcp() and start_tls() are separate so that a caller can note the TCP endpoints
// (the session recorder) before the handshake; connect() runs both.
//
// Every wait takes an absolute deadline on the monotonic clock (monotonic_ms()). A caller on a
// background thread may also give a cancel flag: waits then wake at least every 100 ms and give up
// once it is set (name resolution, getaddrinfo, is the one step that cannot be cut short).
//
// Not thread-safe: one owner thread.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace tp::feed {

// The trust anchors for TLS connections, loaded once: the system store, plus `ca_file` if given.
class TlsClientContext {
 public:
  // Throws std::runtime_error naming the file when `ca_file` cannot be loaded.
  explicit TlsClientContext(const std::string& ca_file = "");
  ~TlsClientContext();
  TlsClientContext(const TlsClientContext&) = delete;
  TlsClientContext& operator=(const TlsClientContext&) = delete;
  SSL_CTX* get() const noexcept { return ctx_; }

 private:
  SSL_CTX* ctx_ = nullptr;
};

// How a connect step ended.
struct TlsConnectResult {
  bool ok = false;
  std::string error;               // a sentence naming the host, for the log and the report
  bool certificate_error = false;  // the server's certificate did not verify: retrying will not help
};

class TlsSocket {
 public:
  TlsSocket() = default;
  ~TlsSocket() { close(); }
  TlsSocket(const TlsSocket&) = delete;
  TlsSocket& operator=(const TlsSocket&) = delete;

  // Waits give up once `*flag` is true (checked at least every 100 ms). Null: only deadlines.
  void set_cancel_flag(const std::atomic<bool>* flag) noexcept { cancel_ = flag; }

  // Resolves `host` and connects to the first address that answers before `deadline_ms`. Closes
  // any earlier connection first.
  TlsConnectResult connect_tcp(const std::string& host, uint16_t port, int64_t deadline_ms);
  // The TLS handshake over the connected socket, checking the certificate against `host`. On a
  // failure the socket stays as it is: close() it.
  TlsConnectResult start_tls(const std::string& host, uint16_t port, TlsClientContext& tls, int64_t deadline_ms);
  // connect_tcp, then start_tls when `use_tls` (`tls` must then be non-null); closed on a failure.
  TlsConnectResult connect(const std::string& host, uint16_t port, bool use_tls, TlsClientContext* tls,
                           int64_t deadline_ms);

  // Writes all of `data`, waiting for the socket until `deadline_ms`. False: failed or timed out.
  bool write_all(const uint8_t* data, std::size_t len, int64_t deadline_ms) noexcept;
  // One read: >0 bytes read, 0 nothing to read now (would block), <0 the connection ended or failed.
  long read(uint8_t* buf, std::size_t len) noexcept;
  // Waits until there is something to read (or the peer closed). False: deadline passed, cancelled
  // or the socket failed.
  bool wait_readable(int64_t deadline_ms) noexcept;
  // Sends TLS close_notify (nothing without TLS); the socket stays open until close().
  void shutdown_tls() noexcept;
  void close() noexcept;

  bool is_open() const noexcept { return fd_ >= 0; }
  bool has_tls() const noexcept { return ssl_ != nullptr; }
  int fd() const noexcept { return fd_; }
  // The endpoints of the connected socket (for the session recorder). False when not connected.
  bool local_address(sockaddr_storage& out) const noexcept;
  bool peer_address(sockaddr_storage& out) const noexcept;

 private:
  bool wait(short events, int64_t deadline_ms) const noexcept;

  int fd_ = -1;
  SSL* ssl_ = nullptr;
  const std::atomic<bool>* cancel_ = nullptr;
};

}  // namespace tp::feed
