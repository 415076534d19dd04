// libFuzzer target: the TCP reassembler fed segments described by the input (flags, connection,
// direction, sequence jumps, lengths). Payload bytes are the low byte of their own sequence
// number, so the delivered stream of a direction must read 0,1,2,...,255,0,... without a break:
// any splice, duplicate or reordering the reassembler let through shows up as a jump. A jump is
// allowed only right after on_gap() (a hole given up, announced).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "feed/decode_stats.hpp"
#include "feed/packet_decoder.hpp"
#include "feed/tcp_reassembler.hpp"

namespace {

constexpr std::size_t kConns = 4;

struct Oracle {
  bool have[kConns][2] = {};
  uint8_t next[kConns][2] = {};
};

void on_open(void* ctx, uint32_t conn) noexcept {
  auto* o = static_cast<Oracle*>(ctx);
  o->have[conn][0] = o->have[conn][1] = false;
}

void on_data(void* ctx, uint32_t conn, uint8_t dir, const uint8_t* d, std::size_t n) noexcept {
  auto* o = static_cast<Oracle*>(ctx);
  if (conn >= kConns || dir > 1 || n == 0) std::abort();
  for (std::size_t i = 0; i < n; ++i) {
    if (o->have[conn][dir] && d[i] != o->next[conn][dir]) std::abort();  // spliced or reordered
    o->have[conn][dir] = true;
    o->next[conn][dir] = static_cast<uint8_t>(d[i] + 1);
  }
}

void on_gap(void* ctx, uint32_t conn, uint8_t dir) noexcept {
  auto* o = static_cast<Oracle*>(ctx);
  if (conn >= kConns || dir > 1) std::abort();
  o->have[conn][dir] = false;  // the next byte may be anything
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  Oracle oracle;
  tp::feed::DecodeStats stats{};
  tp::feed::TcpReassembler r(tp::feed::TcpReassemblerOptions{kConns, 4096},
                             tp::feed::TcpStreamHandler{&oracle, &on_open, &on_data, &on_gap}, &stats);
  // Per (client port, direction) a running sequence number the input moves around.
  uint32_t seq[8][2];
  for (int p = 0; p < 8; ++p) {
    seq[p][0] = 0xFFFFF000u + static_cast<uint32_t>(p) * 977;  // near the wrap on purpose
    seq[p][1] = 0x7FFFFF00u;
  }
  uint8_t payload[1 << 12];
  // Each segment: flags, (port | dir), seq jump (signed 16-bit), length (16-bit, capped).
  while (size >= 6) {
    const uint8_t flags = data[0];
    const uint8_t port = data[1] & 7, dir = (data[1] >> 3) & 1;
    const auto jump = static_cast<int16_t>((data[2] << 8) | data[3]);
    const uint32_t len = ((static_cast<uint32_t>(data[4]) << 8) | data[5]) % sizeof payload;
    data += 6;
    size -= 6;
    uint32_t& s = seq[port][dir];
    s += static_cast<uint32_t>(static_cast<int32_t>(jump));
    for (uint32_t i = 0; i < len; ++i) payload[i] = static_cast<uint8_t>(s + i + ((flags & tp::feed::tcp_flag::kSyn) ? 1 : 0));
    tp::feed::L4Packet p;
    p.transport = tp::feed::Transport::Tcp;
    p.src.family = p.dst.family = 4;
    p.src.bytes[3] = dir ? 2 : 1;
    p.dst.bytes[3] = dir ? 1 : 2;
    p.src_port = dir ? 80 : static_cast<uint16_t>(40000 + port);
    p.dst_port = dir ? static_cast<uint16_t>(40000 + port) : 80;
    p.seq = s;
    p.tcp_flags = flags & 0x17;  // FIN SYN RST ACK
    p.payload = payload;
    p.payload_len = len;
    p.declared_payload_len = len;
    if ((flags & 0x80) && len > 0) {  // a segment cut short by the capture
      p.payload_len = len / 2;
      p.payload_truncated = true;
    }
    r.process(p);
    s += len;
  }
  r.finish();
  return 0;
}
