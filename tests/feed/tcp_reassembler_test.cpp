// TcpReassembler on hand-built segments: in order, retransmissions, out of order, holes that
// never fill (skipped, marked, never spliced), FIN/RST, sequence wrap-around and the connection
// limit. A hole shows up in a collected stream as "<gap>".
#include "feed/tcp_reassembler.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace tp::feed {
namespace {

struct Harness {
  DecodeStats stats{};
  std::map<std::pair<uint32_t, uint8_t>, std::string> streams;  // (conn, dir) -> bytes
  std::vector<uint32_t> opened;
  TcpReassembler r;

  explicit Harness(TcpReassemblerOptions o = {})
      : r(o, TcpStreamHandler{this, &Harness::open_cb, &Harness::data_cb, &Harness::gap_cb}, &stats) {}

  static void open_cb(void* ctx, uint32_t conn) noexcept {
    auto* h = static_cast<Harness*>(ctx);
    h->opened.push_back(conn);
    h->streams[{conn, 0}].clear();
    h->streams[{conn, 1}].clear();
  }
  static void data_cb(void* ctx, uint32_t conn, uint8_t dir, const uint8_t* d, std::size_t n) noexcept {
    static_cast<Harness*>(ctx)->streams[{conn, dir}].append(reinterpret_cast<const char*>(d), n);
  }
  static void gap_cb(void* ctx, uint32_t conn, uint8_t dir) noexcept {
    static_cast<Harness*>(ctx)->streams[{conn, dir}].append("<gap>");
  }

  // Segment from 10.0.0.1:port_a to 10.0.0.2:80 (client, dir 0) or back (server, dir 1).
  void seg(bool from_client, uint32_t seq, std::string_view payload, uint8_t flags = tcp_flag::kAck,
           uint16_t client_port = 40000) {
    L4Packet p;
    p.transport = Transport::Tcp;
    IpAddress c, s;
    c.family = s.family = 4;
    c.bytes[0] = s.bytes[0] = 10;
    c.bytes[3] = 1;
    s.bytes[3] = 2;
    p.src = from_client ? c : s;
    p.dst = from_client ? s : c;
    p.src_port = from_client ? client_port : 80;
    p.dst_port = from_client ? 80 : client_port;
    p.seq = seq;
    p.tcp_flags = flags;
    p.payload = reinterpret_cast<const uint8_t*>(payload.data());
    p.payload_len = static_cast<uint32_t>(payload.size());
    p.declared_payload_len = p.payload_len;
    r.process(p);
  }
  const std::string& client(uint32_t conn = 0) { return streams[{conn, 0}]; }
  const std::string& server(uint32_t conn = 0) { return streams[{conn, 1}]; }
};

TEST(TcpReassembler, InOrderWithHandshake) {
  Harness h;
  h.seg(true, 1000, "", tcp_flag::kSyn);
  h.seg(false, 5000, "", tcp_flag::kSyn | tcp_flag::kAck);
  h.seg(true, 1001, "GET / HTTP/1.1\r\n");
  h.seg(false, 5001, "HTTP/1.1 101");
  h.seg(false, 5013, " Switching");
  EXPECT_EQ(h.client(), "GET / HTTP/1.1\r\n");
  EXPECT_EQ(h.server(), "HTTP/1.1 101 Switching");
  EXPECT_EQ(h.stats[DecodeCounter::tcp_connections], 1u);
  EXPECT_EQ(h.r.active_connections(), 1u);
}

TEST(TcpReassembler, ExactAndPartialRetransmissions) {
  Harness h;
  h.seg(false, 100, "", tcp_flag::kSyn | tcp_flag::kAck);
  h.seg(false, 101, "abcd");
  h.seg(false, 101, "abcd");      // exact
  h.seg(false, 103, "cdef");      // partial: "ef" is new
  h.seg(false, 101, "ab");        // old
  h.seg(false, 101, "abcdefgh");  // covers everything so far plus "gh"
  EXPECT_EQ(h.server(), "abcdefgh");
  EXPECT_EQ(h.stats[DecodeCounter::tcp_retransmission], 4u);
}

TEST(TcpReassembler, OutOfOrderIsHeldUntilTheHoleFills) {
  Harness h;
  h.seg(false, 0, "", tcp_flag::kSyn | tcp_flag::kAck);
  h.seg(false, 1, "aa");
  h.seg(false, 7, "dd");  // hole at 3..7
  h.seg(false, 5, "cc");
  EXPECT_EQ(h.server(), "aa");
  h.seg(false, 3, "bb");  // fills it: everything flows
  EXPECT_EQ(h.server(), "aabbccdd");
  EXPECT_EQ(h.stats[DecodeCounter::tcp_out_of_order], 2u);
  h.seg(false, 9, "ee");
  EXPECT_EQ(h.server(), "aabbccddee");
  h.r.finish();
  EXPECT_EQ(h.stats[DecodeCounter::tcp_gap], 0u);
}

TEST(TcpReassembler, OverlappingOutOfOrderSegmentsMerge) {
  Harness h;
  h.seg(false, 0, "", tcp_flag::kSyn | tcp_flag::kAck);
  h.seg(false, 11, "klmn");   // 11..15
  h.seg(false, 5, "fgh");     // 5..8
  h.seg(false, 7, "hijk");    // 7..11, bridges both
  h.seg(false, 20, "uv");     // separate island
  h.seg(false, 1, "abcdefghijklmnopqrst");  // covers everything up to 21
  EXPECT_EQ(h.server(), "abcdefghijklmnopqrstv");
}

TEST(TcpReassembler, SequenceWrapAround) {
  Harness h;
  const uint32_t isn = 0xFFFFFFF0u;
  h.seg(false, isn, "", tcp_flag::kSyn | tcp_flag::kAck);
  h.seg(false, isn + 1, "0123456789");        // ends at 0xFFFFFFFB
  h.seg(false, isn + 1 + 20, "KLMNO");         // out of order, past the wrap (0x00000005)
  h.seg(false, isn + 1 + 10, "ABCDEFGHIJ");    // crosses 2^32, fills the hole
  h.seg(false, isn + 1 + 5, "56789ABC");       // retransmission across the wrap
  h.seg(false, isn + 1 + 25, "P");
  EXPECT_EQ(h.server(), "0123456789ABCDEFGHIJKLMNOP");
  EXPECT_EQ(h.stats[DecodeCounter::tcp_gap], 0u);
}

TEST(TcpReassembler, OutOfOrderBufferWrapsInsideItsRing) {
  // Ring of 4 KiB: buffered bytes straddle the ring's end, are delivered in two pieces.
  Harness h(TcpReassemblerOptions{4, 4096});
  h.seg(false, 0, "", tcp_flag::kSyn | tcp_flag::kAck);
  std::string first(4000, 'a'), hole(50, 'b'), tail(200, 'c');
  h.seg(false, 1, first);
  h.seg(false, 1 + 4000 + 50, tail);  // ring offsets 4050..4250 wrap at 4096
  h.seg(false, 1 + 4000, hole);
  EXPECT_EQ(h.server(), first + hole + tail);
}

TEST(TcpReassembler, HoleBeyondTheBoundIsSkippedNeverSpliced) {
  Harness h(TcpReassemblerOptions{4, 4096});
  h.seg(false, 0, "", tcp_flag::kSyn | tcp_flag::kAck);
  h.seg(false, 1, "ok");
  h.seg(false, 3 + 5000, "far");  // would need more than 4 KiB of buffer: the hole is given up
  EXPECT_EQ(h.stats[DecodeCounter::tcp_gap], 1u);
  h.seg(false, 3, "late");  // the right bytes, too late: not spliced in
  EXPECT_EQ(h.server(), "ok<gap>far");
  EXPECT_EQ(h.stats[DecodeCounter::tcp_retransmission], 1u);
  h.seg(true, 0, "", tcp_flag::kSyn);
  h.seg(true, 1, "client still flows");
  EXPECT_EQ(h.client(), "client still flows");
}

TEST(TcpReassembler, HoleNeverFilledIsCountedAtTheEnd) {
  Harness h;
  h.seg(false, 0, "", tcp_flag::kSyn | tcp_flag::kAck);
  h.seg(false, 1, "a");
  h.seg(false, 10, "z");
  h.r.finish();
  EXPECT_EQ(h.server(), "a<gap>z");
  EXPECT_EQ(h.stats[DecodeCounter::tcp_gap], 1u);
}

TEST(TcpReassembler, BufferedBytesBehindAHoleFillUpToTheBoundThenGoOut) {
  Harness h(TcpReassemblerOptions{4, 4096});
  h.seg(false, 0, "", tcp_flag::kSyn | tcp_flag::kAck);
  h.seg(false, 1, "a");
  // Hole at 2; 3000 bytes buffered behind it, then a segment that would overflow the bound.
  const std::string mid(3000, 'm');
  h.seg(false, 10, mid);
  EXPECT_EQ(h.server(), "a");
  h.seg(false, 3010, std::string(2000, 'n'));
  // The hole [2, 10) is given up: the buffered run goes out, then the new segment fits.
  EXPECT_EQ(h.server(), "a<gap>" + mid + std::string(2000, 'n'));
  EXPECT_EQ(h.stats[DecodeCounter::tcp_gap], 1u);
}

TEST(TcpReassembler, TooManyHolesGiveUpTheOldest) {
  Harness h;
  h.seg(false, 0, "", tcp_flag::kSyn | tcp_flag::kAck);
  h.seg(false, 1, "0");
  // 65 separate islands: the interval list holds 64, so the oldest hole is given up.
  std::string want = "0";
  for (uint32_t k = 1; k <= 65; ++k) h.seg(false, 1 + 2 * k, std::string(1, static_cast<char>('A' + k % 26)));
  EXPECT_EQ(h.stats[DecodeCounter::tcp_gap], 1u);
  EXPECT_EQ(h.server(), "0<gap>" + std::string(1, 'B'));
}

TEST(TcpReassembler, RstDeliversWhatWaitedBehindAHole) {
  Harness h;
  h.seg(false, 0, "", tcp_flag::kSyn | tcp_flag::kAck);
  h.seg(false, 1, "a");
  h.seg(false, 5, "efg");
  h.seg(true, 77, "", tcp_flag::kRst);
  EXPECT_EQ(h.server(), "a<gap>efg");
  EXPECT_EQ(h.r.active_connections(), 0u);
}

TEST(TcpReassembler, FinWhoseDataNeverCameIsAGapAtTheEnd) {
  Harness h;
  h.seg(false, 0, "", tcp_flag::kSyn | tcp_flag::kAck);
  h.seg(false, 1, "ab");
  h.seg(false, 6, "", tcp_flag::kAck | tcp_flag::kFin);  // bytes 3..5 never captured
  h.r.finish();
  EXPECT_EQ(h.server(), "ab<gap>");
  EXPECT_EQ(h.stats[DecodeCounter::tcp_gap], 1u);
}

TEST(TcpReassembler, GapAcrossTheSequenceWrap) {
  Harness h;
  h.seg(false, 0xFFFFFFF0u, "", tcp_flag::kSyn | tcp_flag::kAck);
  h.seg(false, 0xFFFFFFF1u, "0123456789");
  h.seg(false, 0x00000010u, "after");  // hole [0xFFFFFFFB, 0x10) across the wrap
  h.r.finish();
  EXPECT_EQ(h.server(), "0123456789<gap>after");
}

TEST(TcpReassembler, MidStreamStartsAtTheFirstSegment) {
  Harness h;
  h.seg(false, 123456, "middle ");
  h.seg(false, 123463, "of it");
  EXPECT_EQ(h.server(), "middle of it");
}

TEST(TcpReassembler, FinClosesAndReleasesTheSlot) {
  Harness h(TcpReassemblerOptions{1, 4096});
  h.seg(true, 0, "", tcp_flag::kSyn);
  h.seg(false, 0, "", tcp_flag::kSyn | tcp_flag::kAck);
  h.seg(false, 1, "bye", tcp_flag::kAck | tcp_flag::kFin);
  h.seg(false, 4, "after", tcp_flag::kAck);  // past the FIN: not part of the stream
  EXPECT_EQ(h.server(), "bye");
  EXPECT_EQ(h.stats[DecodeCounter::tcp_data_after_close], 1u);
  EXPECT_EQ(h.r.active_connections(), 1u);
  h.seg(true, 1, "", tcp_flag::kAck | tcp_flag::kFin);
  EXPECT_EQ(h.r.active_connections(), 0u);
  // The only slot is free again for another connection.
  h.seg(true, 0, "", tcp_flag::kSyn, 40001);
  EXPECT_EQ(h.r.active_connections(), 1u);
  EXPECT_EQ(h.stats[DecodeCounter::tcp_connection_limit], 0u);
}

TEST(TcpReassembler, FinOutOfOrderWaitsForTheData) {
  Harness h;
  h.seg(false, 0, "", tcp_flag::kSyn | tcp_flag::kAck);
  h.seg(false, 4, "def", tcp_flag::kAck | tcp_flag::kFin);
  h.seg(false, 1, "abc");
  EXPECT_EQ(h.server(), "abcdef");
  h.r.finish();
  EXPECT_EQ(h.stats[DecodeCounter::tcp_gap], 0u);
}

TEST(TcpReassembler, RstReleasesImmediately) {
  Harness h;
  h.seg(true, 0, "", tcp_flag::kSyn);
  h.seg(true, 1, "x");
  h.seg(false, 9, "", tcp_flag::kRst);
  EXPECT_EQ(h.r.active_connections(), 0u);
}

TEST(TcpReassembler, ConnectionLimitIsCounted) {
  Harness h(TcpReassemblerOptions{2, 4096});
  h.seg(true, 0, "", tcp_flag::kSyn, 1);
  h.seg(true, 0, "", tcp_flag::kSyn, 2);
  h.seg(true, 0, "", tcp_flag::kSyn, 3);
  h.seg(true, 1, "dropped", tcp_flag::kAck, 3);
  EXPECT_EQ(h.stats[DecodeCounter::tcp_connection_limit], 2u);
  EXPECT_EQ(h.r.active_connections(), 2u);
}

TEST(TcpReassembler, ManyConnectionsCollideAndReleaseInAnyOrder) {
  // Exercises the hash table's backward-shift deletion: every lookup must keep finding the
  // survivors after arbitrary releases.
  Harness h(TcpReassemblerOptions{64, 4096});
  for (uint16_t p = 1; p <= 64; ++p) h.seg(true, 0, "", tcp_flag::kSyn, p);
  EXPECT_EQ(h.r.active_connections(), 64u);
  for (uint16_t p = 1; p <= 64; p += 3) h.seg(true, 1, "", tcp_flag::kRst, p);
  for (uint16_t p = 1; p <= 64; ++p) {
    if ((p - 1) % 3 == 0) continue;
    h.seg(true, 1, "x", tcp_flag::kAck, p);
  }
  EXPECT_EQ(h.stats[DecodeCounter::tcp_connections], 64u);  // no survivor was re-created
  std::size_t with_data = 0;
  for (const auto& [key, bytes] : h.streams) with_data += bytes == "x";
  EXPECT_EQ(with_data, 64u - 22u);
}

TEST(TcpReassembler, NewIsnOnATrackedTupleStartsAFreshConnection) {
  Harness h;
  h.seg(true, 100, "", tcp_flag::kSyn);
  h.seg(true, 101, "old");
  h.seg(true, 9000, "", tcp_flag::kSyn);  // port reused, the old end was not captured
  h.seg(true, 9001, "new");
  EXPECT_EQ(h.stats[DecodeCounter::tcp_connections], 2u);
  EXPECT_EQ(h.client(h.opened.back()), "new");
}

TEST(TcpReassembler, TruncatedSegmentIsAHoleAtOnce) {
  Harness h;
  h.seg(false, 0, "", tcp_flag::kSyn | tcp_flag::kAck);
  h.seg(false, 1, "abc");
  L4Packet p;
  p.transport = Transport::Tcp;
  p.src.family = p.dst.family = 4;
  p.src.bytes[0] = p.dst.bytes[0] = 10;
  p.src.bytes[3] = 2;
  p.dst.bytes[3] = 1;
  p.src_port = 80;
  p.dst_port = 40000;
  p.seq = 4;
  p.tcp_flags = tcp_flag::kAck;
  const char cut[] = "de";
  p.payload = reinterpret_cast<const uint8_t*>(cut);
  p.payload_len = 2;
  p.declared_payload_len = 10;  // 8 bytes never captured
  p.payload_truncated = true;
  h.r.process(p);
  EXPECT_EQ(h.server(), "abc<gap>");  // the captured prefix is never delivered
  h.seg(false, 14, "xyz");
  EXPECT_EQ(h.server(), "abc<gap>xyz");
  EXPECT_EQ(h.stats[DecodeCounter::tcp_gap], 1u);
}

}  // namespace
}  // namespace tp::feed
