#include "feed/live/ws_connection.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "core/timing/wall_clock.hpp"
#include "feed/http_upgrade.hpp"
#include "feed/live/session_recorder.hpp"
#include "feed/live/websocket_handshake.hpp"

namespace tp::feed {

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
  if (recorder_ != nullptr && socket_.is_open()) recorder_->close_connection(record_slot_, realtime_ns());
  record_slot_ = -1;
  socket_.close();
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

  if (TlsConnectResult c = socket_.connect_tcp(url.host, url.port, deadline); !c.ok) return fail(std::move(c.error));
  closed_ = false;
  if (recorder_ != nullptr) {
    sockaddr_storage local{}, remote{};
    socket_.local_address(local);
    socket_.peer_address(remote);
    record_slot_ = recorder_->open_connection(local, remote, realtime_ns());
  }
  if (url.tls) {
    if (TlsConnectResult c = socket_.start_tls(url.host, url.port, *tls_, deadline); !c.ok) {
      r.certificate_error = c.certificate_error;
      return fail(std::move(c.error));
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
    const long n = socket_.read(buf_.get() + have, options_.read_buffer_bytes - have);
    if (n < 0) return fail("the server " + where + " closed the connection during the upgrade");
    if (n == 0) {
      if (!socket_.wait_readable(deadline)) return fail("the server " + where + " did not answer the upgrade in time");
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

bool WsConnection::write_all(const uint8_t* data, std::size_t len, int timeout_ms) noexcept {
  if (!socket_.write_all(data, len, monotonic_ms() + timeout_ms)) return false;
  if (recorder_ != nullptr) recorder_->bytes(record_slot_, true, data, len, realtime_ns());
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
  const long n = socket_.read(buf_.get(), options_.read_buffer_bytes);
  if (n == 0) return ReadStatus::WouldBlock;
  if (n < 0) {
    drop(socket_.has_tls() ? "the TLS connection ended without a close frame" : "the connection was reset or ended without a close frame");
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
    socket_.shutdown_tls();
  }
  drop("closed by us");
}

}  // namespace tp::feed
