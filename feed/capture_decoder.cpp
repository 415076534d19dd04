#include "feed/capture_decoder.hpp"

#include <cstring>

#include "feed/http_upgrade.hpp"
#include "feed/ip_fragment_reassembler.hpp"
#include "feed/packet_decoder.hpp"
#include "feed/tcp_reassembler.hpp"

namespace tp::feed {

namespace {
constexpr std::size_t kMaxUdpPayload = 65535;
}  // namespace

// Per TCP connection slot: the handshake in each direction, then one framer per role. Which
// direction is the server is learnt from the 101, never assumed from ports or SYNs.
struct CaptureDecoder::Session {
  enum class Phase : uint8_t { Handshake, WebSocket, Ignored };

  Session(const DecoderOptions& o, DecodeStats* stats)
      : head{HttpHeadCollector(o.max_http_head_bytes), HttpHeadCollector(o.max_http_head_bytes)},
        server(FramerOptions{o.max_message_bytes, o.initial_message_bytes, true, o.max_resync_bytes}, stats),
        client(FramerOptions{o.max_message_bytes, 0, false, o.max_resync_bytes}, stats) {}

  void reset() noexcept {
    phase = Phase::Handshake;
    server_dir = 0;
    client_framed = false;
    saw_data = false;
    head[0].reset();
    head[1].reset();
  }

  Phase phase = Phase::Handshake;
  uint8_t server_dir = 0;      // valid in WebSocket
  bool client_framed = false;  // the client's request head was seen whole: its frames follow it
  bool saw_data = false;       // any payload at all (a connection with none is not judged)
  HttpHeadCollector head[2];
  WebSocketFramer server;  // delivers
  WebSocketFramer client;  // validates and counts only
};

CaptureDecoder::CaptureDecoder(DecoderOptions options)
    : options_(options), udp_buf_(new char[kMaxUdpPayload + kPayloadPadding]()) {
  TcpStreamHandler handler{this, &CaptureDecoder::on_open, &CaptureDecoder::on_data, &CaptureDecoder::on_gap,
                           &CaptureDecoder::on_end};
  reassembler_ = std::make_unique<TcpReassembler>(
      TcpReassemblerOptions{options_.max_connections, options_.max_out_of_order_bytes}, handler, &stats_);
  fragments_ = std::make_unique<IpFragmentReassembler>(
      IpFragmentOptions{options_.max_ip_fragment_datagrams, options_.max_ip_fragment_bytes,
                        options_.ip_fragment_timeout_ms * 1'000'000},
      &stats_);
  sessions_.reserve(reassembler_->max_connections());
  for (std::size_t i = 0; i < reassembler_->max_connections(); ++i) {
    sessions_.push_back(std::make_unique<Session>(options_, &stats_));
    sessions_.back()->reset();
  }
}

CaptureDecoder::~CaptureDecoder() = default;

void CaptureDecoder::reset_connections() noexcept {
  // A file left before its end (finish() never ran): its streams end here. Framers that ended
  // already (their stream's FIN, RST or finish()) count nothing twice.
  for (auto& s : sessions_) {
    if (s->phase == Session::Phase::WebSocket) {
      s->server.finish();
      s->client.finish();
    }
  }
  reassembler_->reset();
  fragments_->reset();
  for (auto& s : sessions_) s->reset();
  finished_ = false;
}

bool CaptureDecoder::open(const std::string& path, std::string& error) {
  reset_connections();
  return reader_.open(path, error);
}

bool CaptureDecoder::open(std::FILE* fp, std::string& error) {
  reset_connections();
  return reader_.open(fp, error);
}

void CaptureDecoder::finish() noexcept {
  if (finished_) return;
  finished_ = true;
  if (reader_.truncated()) stats_.inc(DecodeCounter::truncated_file);
  if (reader_.corrupt()) stats_.inc(DecodeCounter::corrupt_file);
  fragments_->finish();
  reassembler_->finish();
  // A connection whose handshake never finished within the capture was never WebSocket.
  for (auto& s : sessions_) {
    if (s->phase == Session::Phase::Handshake && s->saw_data) not_websocket(*s);
  }
}

bool CaptureDecoder::step_with(MessageFn out) noexcept {
  RawPacket pkt;
  if (reader_.next(pkt) == PcapReader::Status::End) {
    out_ = out;  // bytes buffered behind holes are delivered at the end (see finish())
    finish();
    return false;
  }
  if (options_.stamp_packets) packet_tsc_ = tsc_now();
  stats_.inc(DecodeCounter::packets);
  stats_.inc(DecodeCounter::bytes, pkt.caplen);
  L4Packet l4;
  IpFragment frag;
  switch (decode_packet(reader_.link_type(), pkt.data, pkt.caplen, pkt.len, l4, stats_, &frag)) {
    case Transport::Fragment: {
      const uint8_t* payload = nullptr;
      uint32_t len = 0;
      if (fragments_->add(frag, pkt.ts_ns, payload, len)) {
        decode_reassembled(frag, payload, len, l4, stats_);
        dispatch(l4, pkt.ts_ns, out);
      }
      break;
    }
    case Transport::Udp:
    case Transport::Tcp:
      dispatch(l4, pkt.ts_ns, out);
      break;
    case Transport::None:
      break;
  }
  return true;
}

void CaptureDecoder::dispatch(const L4Packet& p, int64_t ts_ns, MessageFn out) noexcept {
  switch (p.transport) {
    case Transport::Udp:
      deliver_udp(p, ts_ns, out);
      break;
    case Transport::Tcp:
      packet_ts_ns_ = ts_ns;
      out_ = out;
      reassembler_->process(p);
      break;
    case Transport::None:
    case Transport::Fragment:
      break;
  }
}

void CaptureDecoder::deliver_udp(const L4Packet& p, int64_t ts_ns, MessageFn out) noexcept {
  if (p.payload_truncated) return;  // counted as truncated_packet by the decoder
  // Copied so the message carries kPayloadPadding readable bytes past its end (the capture
  // buffer ends where the packet does).
  const std::size_t n = p.payload_len;  // <= 65535 - 8: a UDP length is 16 bits
  if (n > 0) std::memcpy(udp_buf_.get(), p.payload, n);
  stats_.inc(DecodeCounter::messages_udp);
  out(Message{udp_buf_.get(), n, ts_ns});
}

void CaptureDecoder::not_websocket(Session& s) noexcept {
  stats_.inc(DecodeCounter::not_websocket);
  s.phase = Session::Phase::Ignored;
}

void CaptureDecoder::on_open(void* ctx, uint32_t conn) noexcept {
  auto* self = static_cast<CaptureDecoder*>(ctx);
  Session& s = *self->sessions_[conn];
  // The slot's previous connection ended without a verdict (closed mid-handshake).
  if (s.phase == Session::Phase::Handshake && s.saw_data) self->not_websocket(s);
  s.reset();
}

void CaptureDecoder::on_data(void* ctx, uint32_t conn, uint8_t dir, const uint8_t* data, std::size_t len) noexcept {
  auto* self = static_cast<CaptureDecoder*>(ctx);
  Session& s = *self->sessions_[conn];
  s.saw_data = true;
  switch (s.phase) {
    case Session::Phase::WebSocket:
      if (dir == s.server_dir) {
        s.server.feed(data, len, self->packet_ts_ns_, self->out_);
      } else if (s.client_framed) {
        s.client.feed(data, len, self->packet_ts_ns_, self->out_);  // delivers nothing
      }
      return;
    case Session::Phase::Handshake:
      self->handshake(s, dir, data, len);
      return;
    case Session::Phase::Ignored:
      return;
  }
}

void CaptureDecoder::on_gap(void* ctx, uint32_t conn, uint8_t dir) noexcept {
  auto* self = static_cast<CaptureDecoder*>(ctx);
  Session& s = *self->sessions_[conn];
  switch (s.phase) {
    case Session::Phase::WebSocket:
      if (dir == s.server_dir) {
        s.server.gap();
      } else if (s.client_framed) {
        s.client.gap();
      }
      return;
    case Session::Phase::Handshake:
      // A hole inside a handshake head: the connection cannot be judged (tcp_gap says why). A
      // hole after a complete request is harmless (nothing of it is needed before the 101).
      if (s.head[dir].state() != HttpHeadCollector::State::Complete) s.phase = Session::Phase::Ignored;
      return;
    case Session::Phase::Ignored:
      return;
  }
}

void CaptureDecoder::on_end(void* ctx, uint32_t conn, uint8_t dir) noexcept {
  auto* self = static_cast<CaptureDecoder*>(ctx);
  Session& s = *self->sessions_[conn];
  if (s.phase != Session::Phase::WebSocket) return;  // a handshake cut short is judged in finish()/on_open()
  if (dir == s.server_dir) {
    s.server.finish();  // counts a server message left unfinished
  } else {
    s.client.finish();
  }
}

void CaptureDecoder::handshake(Session& s, uint8_t dir, const uint8_t* data, std::size_t len) noexcept {
  HttpHeadCollector& head = s.head[dir];
  // Bytes after a complete request, before the response: a client may not send frames before
  // the 101, and none of them would be delivered anyway.
  if (head.state() == HttpHeadCollector::State::Complete) return;
  const std::size_t used = head.feed(data, len);
  if (head.state() == HttpHeadCollector::State::NotHttp) {
    not_websocket(s);
    return;
  }
  if (head.state() != HttpHeadCollector::State::Complete) return;

  const HttpHead parsed = parse_http_head(head.head());
  switch (parsed.kind) {
    case HttpHeadKind::Request:
      return;  // the response decides
    case HttpHeadKind::SwitchingProtocols:
      break;
    case HttpHeadKind::OtherResponse:
    case HttpHeadKind::Invalid:
      not_websocket(s);
      return;
  }
  if (!parsed.extensions_ok) {
    // The server agreed to parameters that make no sense; frames could not be inflated reliably.
    stats_.inc(DecodeCounter::ws_bad_handshake);
    s.phase = Session::Phase::Ignored;
    return;
  }
  const WsExtensions& ext = parsed.extensions;
  s.phase = Session::Phase::WebSocket;
  s.server_dir = dir;
  const uint8_t client_dir = static_cast<uint8_t>(dir ^ 1);
  s.client_framed = s.head[client_dir].state() == HttpHeadCollector::State::Complete;
  s.server.reset(DeflateParams{ext.deflate, ext.server_no_context_takeover, ext.server_max_window_bits});
  s.client.reset(DeflateParams{ext.deflate, ext.client_no_context_takeover, ext.client_max_window_bits});
  // Frames may follow the head in the same segment.
  if (used < len) s.server.feed(data + used, len - used, packet_ts_ns_, out_);
}

}  // namespace tp::feed
