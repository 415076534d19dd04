// WsConnection: one WebSocket client connection to a venue's market data (SPEC §10): TCP
// (non-blocking, TCP_NODELAY) and TLS on OpenSSL (SNI, the certificate verified against the system
// store or `ca_file`, and the host name checked) through TlsSocket, the HTTP upgrade
// (feed/live/websocket_handshake), then the server's frames through the very WebSocketFramer that replay uses.
//
// connect() runs at start-up and on a reconnect, never on the hot path: it may allocate, resolve
// names and wait (up to its deadline). read() is the receive path: one recv/SSL_read into a buffer
// sized at construction, the framer, and the messages handed on; it does not allocate. Pings are
// answered with a pong echoing their payload, a close frame with a close, as RFC 6455 asks.
//
// Not thread-safe: owned by the feed thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "core/types/ws_url.hpp"
#include "feed/decode_stats.hpp"
#include "feed/http_upgrade.hpp"
#include "feed/live/tls_socket.hpp"  // TlsClientContext, TlsSocket
#include "feed/websocket_framer.hpp"

namespace tp::feed {

class SessionRecorder;

struct WsConnectOptions {
  WsUrl url;
  bool offer_deflate = false;
  FramerOptions framer;               // max_message_bytes and the like, as for replay
  std::size_t read_buffer_bytes = 1u << 18;
};

// How a connect() ended. Only `ok` connections carry messages.
struct WsConnectResult {
  bool ok = false;
  std::string error;          // a sentence naming the host, for the log and the report
  int http_status = 0;        // the server answered the upgrade with this (101 when ok)
  bool certificate_error = false;  // the server's certificate did not verify: retrying will not help
};

class WsConnection {
 public:
  // `tls` must outlive the connection; null only for ws:// URLs. `stats` counts frames and drops.
  WsConnection(const WsConnectOptions& options, TlsClientContext* tls, DecodeStats* stats);
  ~WsConnection();
  WsConnection(const WsConnection&) = delete;
  WsConnection& operator=(const WsConnection&) = delete;

  // Resolves, connects, runs TLS and the upgrade, all within `timeout_ms`. Closes any earlier
  // connection first.
  WsConnectResult connect(int timeout_ms);

  // Sends one text message (masked). Waits for the socket at most `timeout_ms`. False: the
  // connection failed (closed() tells).
  bool send_text(std::string_view text, int timeout_ms = 1000);
  // Sends a ping with `payload` (at most 125 bytes).
  bool send_ping(std::string_view payload, int timeout_ms = 1000);

  enum class ReadStatus : uint8_t { Data, WouldBlock, Closed };
  // Reads what the socket has (one read), delivers the messages it completes to `out` with
  // recv_ts_ns = CLOCK_REALTIME of this read (SPEC §10.2), and answers control frames.
  ReadStatus read(MessageFn out) noexcept;

  // Every byte in both directions (after TLS) also goes to `recorder` (--record); null: none.
  void set_recorder(SessionRecorder* recorder) noexcept { recorder_ = recorder; }

  // Starts the closing handshake (a close frame with `code`), then drops the connection.
  void close(uint16_t code = 1000) noexcept;

  bool open() const noexcept { return socket_.is_open() && !closed_; }
  bool closed() const noexcept { return closed_; }
  int fd() const noexcept { return socket_.fd(); }
  // Why the connection ended ("" while open): the server's close code, a reset, a TLS error.
  const char* close_reason() const noexcept { return close_reason_; }
  uint16_t peer_close_code() const noexcept { return peer_close_code_; }
  // The server's extensions (permessage-deflate) as the handshake agreed them.
  const WsExtensions& extensions() const noexcept { return extensions_; }
  // Wall-clock ns of the last byte received.
  int64_t last_receive_ns() const noexcept { return last_receive_ns_; }
  // Wall-clock ns of the last sign of the venue's own life: a data message or a ping from it (the
  // silence watchdog; the pongs to our pings do not count: a venue that answers pings but sends no
  // data is of no use to a market-data subscription). The upgrade counts as one.
  int64_t last_activity_ns() const noexcept { return last_activity_ns_; }

 private:
  static void on_control(void* self, uint8_t opcode, const uint8_t* payload, std::size_t len) noexcept;
  bool send_frame(uint8_t opcode, const uint8_t* payload, std::size_t len, int timeout_ms) noexcept;
  bool write_all(const uint8_t* data, std::size_t len, int timeout_ms) noexcept;
  void drop(const char* why) noexcept;
  void reset_socket() noexcept;

  WsConnectOptions options_;
  TlsClientContext* tls_;
  DecodeStats* stats_;
  WebSocketFramer framer_;
  std::unique_ptr<uint8_t[]> buf_;
  TlsSocket socket_;
  bool closed_ = true;
  bool close_sent_ = false;
  uint16_t peer_close_code_ = 0;
  const char* close_reason_ = "";  // static text: no allocation when a connection ends
  WsExtensions extensions_;
  int64_t last_receive_ns_ = 0;
  int64_t last_activity_ns_ = 0;
  std::pair<std::size_t, std::size_t> pending_{0, 0};
  SessionRecorder* recorder_ = nullptr;
  int record_slot_ = -1;  // this connection's slot in the recording  // [from, to) of buf_: frames read with the upgrade
};

}  // namespace tp::feed
