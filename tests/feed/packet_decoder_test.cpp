// decode_packet on every supported link type and on the IPv4/IPv6 corner cases; short packets at
// every length are counted, never read past.
#include "feed/packet_decoder.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "feed_test_util.hpp"

namespace tp::feed {
namespace {

using B = test::PacketBuilder;

// The decoded packet points into its bytes: keep every packet decoded by a test alive.
std::deque<std::string>& kept() {
  static std::deque<std::string> packets;
  return packets;
}

L4Packet decode(int link, const std::string& packet, DecodeStats& st, Transport want) {
  const std::string& bytes = kept().emplace_back(packet);
  L4Packet out;
  EXPECT_EQ(decode_packet(link, reinterpret_cast<const uint8_t*>(bytes.data()), static_cast<uint32_t>(bytes.size()),
                          static_cast<uint32_t>(bytes.size()), out, st),
            want);
  return out;
}

std::string payload_of(const L4Packet& p) { return std::string(reinterpret_cast<const char*>(p.payload), p.payload_len); }

std::string le32(uint32_t v) { return std::string{char(v), char(v >> 8), char(v >> 16), char(v >> 24)}; }
std::string be32(uint32_t v) { return std::string{char(v >> 24), char(v >> 16), char(v >> 8), char(v)}; }

TEST(PacketDecoder, EveryLinkTypeCarriesIpv4AndIpv6) {
  const std::string v4 = B::ipv4(17, B::udp(1000, 2000, "four"));
  const std::string v6 = B::ipv6(17, B::udp(1000, 2000, "six"));
  std::string sll_hdr(14, '\0');
  std::string sll2_tail(16, '\0');
  struct Case {
    const char* what;
    int link;
    std::string bytes;
    const char* payload;
  };
  const Case cases[] = {
      {"ethernet v4", link::kEthernet, B::ethernet(0x0800, v4), "four"},
      {"ethernet v6", link::kEthernet, B::ethernet(0x86DD, v6), "six"},
      {"802.1Q", link::kEthernet, B::ethernet(0x8100, std::string("\x00\x05\x08\x00", 4) + v4), "four"},
      {"QinQ", link::kEthernet, B::ethernet(0x88A8, std::string("\x00\x05\x81\x00\x00\x06\x86\xdd", 8) + v6), "six"},
      {"SLL v4", link::kLinuxSll, sll_hdr + std::string("\x08\x00", 2) + v4, "four"},
      {"SLL v6", link::kLinuxSll, sll_hdr + std::string("\x86\xdd", 2) + v6, "six"},
      {"SLL2 v4", link::kLinuxSll2, std::string("\x08\x00\x00\x00", 4) + sll2_tail + v4, "four"},
      {"SLL2 v6", link::kLinuxSll2, std::string("\x86\xdd\x00\x00", 4) + sll2_tail + v6, "six"},
      {"raw v4", link::kRaw, v4, "four"},
      {"raw v6", link::kRaw, v6, "six"},
      {"LINKTYPE_RAW v6", link::kRawLinktype, v6, "six"},
      {"IPV4", link::kIpv4, v4, "four"},
      {"IPV6", link::kIpv6, v6, "six"},
      {"null little-endian AF_INET", link::kNull, le32(2) + v4, "four"},
      {"null big-endian AF_INET", link::kNull, be32(2) + v4, "four"},
      {"null AF_INET6 (BSD 24)", link::kNull, le32(24) + v6, "six"},
      {"null AF_INET6 (FreeBSD 28)", link::kNull, le32(28) + v6, "six"},
      {"null AF_INET6 (macOS 30)", link::kNull, le32(30) + v6, "six"},
      {"loop AF_INET", link::kLoop, be32(2) + v4, "four"},
      {"loop AF_INET6 (Linux 10)", link::kLoop, be32(10) + v6, "six"},
  };
  for (const Case& c : cases) {
    DecodeStats st{};
    const L4Packet p = decode(c.link, c.bytes, st, Transport::Udp);
    EXPECT_EQ(payload_of(p), c.payload) << c.what;
    EXPECT_EQ(p.src_port, 1000) << c.what;
    EXPECT_EQ(p.dst_port, 2000) << c.what;
    EXPECT_EQ(st.total(), 0u) << c.what;
  }
}

TEST(PacketDecoder, TcpHeaderFields) {
  DecodeStats st{};
  const std::string pkt = B::ethernet(0x0800, B::ipv4(6, B::tcp(443, 5555, 0xDEADBEEF, tcp_flag::kAck | tcp_flag::kFin, "data")));
  const L4Packet p = decode(link::kEthernet, pkt, st, Transport::Tcp);
  EXPECT_EQ(p.seq, 0xDEADBEEFu);
  EXPECT_EQ(p.tcp_flags, tcp_flag::kAck | tcp_flag::kFin);
  EXPECT_EQ(payload_of(p), "data");
  EXPECT_EQ(p.src.family, 4);
  EXPECT_EQ(p.src.bytes[0], 127);
}

TEST(PacketDecoder, Ipv4OptionsAndEthernetPadding) {
  // IHL 6 (one 4-byte option), and 10 bytes of Ethernet padding after the IP packet.
  std::string ip = B::ipv4(17, B::udp(1, 2, "opt"));
  ip[0] = 0x46;
  ip.insert(20, std::string("\x01\x01\x01\x00", 4));
  ip[3] = static_cast<char>(ip[3] + 4);
  DecodeStats st{};
  const L4Packet p = decode(link::kEthernet, B::ethernet(0x0800, ip) + std::string(10, '\0'), st, Transport::Udp);
  EXPECT_EQ(payload_of(p), "opt");
}

TEST(PacketDecoder, FragmentsAreCountedAndSkipped) {
  DecodeStats st{};
  decode(link::kRaw, B::ipv4(17, B::udp(1, 2, "x"), 1, 2, 0x2000), st, Transport::None);  // MF
  decode(link::kRaw, B::ipv4(17, "tail", 1, 2, 0x0010), st, Transport::None);             // offset 16
  // IPv6 fragment header, offset 0 with M set
  const std::string frag6 = std::string("\x11\x00\x00\x01\x00\x00\x00\x07", 8) + B::udp(1, 2, "x");
  decode(link::kRaw, B::ipv6(44, frag6), st, Transport::None);
  EXPECT_EQ(st[DecodeCounter::ip_fragment], 3u);
  // An atomic fragment (offset 0, M clear) is a whole datagram.
  const std::string atomic = std::string("\x11\x00\x00\x00\x00\x00\x00\x07", 8) + B::udp(1, 2, "whole");
  EXPECT_EQ(payload_of(decode(link::kRaw, B::ipv6(44, atomic), st, Transport::Udp)), "whole");
}

TEST(PacketDecoder, Ipv6ExtensionHeaders) {
  DecodeStats st{};
  // hop-by-hop (8 bytes) -> destination options (16 bytes) -> TCP
  const std::string hbh = std::string("\x3c\x00", 2) + std::string(6, '\0');
  const std::string dst = std::string("\x06\x01", 2) + std::string(14, '\0');
  const L4Packet p = decode(link::kRaw, B::ipv6(0, hbh + dst + B::tcp(1, 2, 7, tcp_flag::kAck, "ext")), st, Transport::Tcp);
  EXPECT_EQ(payload_of(p), "ext");
  // ESP: cannot be looked into
  decode(link::kRaw, B::ipv6(50, std::string(24, 'e')), st, Transport::None);
  EXPECT_EQ(st[DecodeCounter::ipv6_extension_unsupported], 1u);
  // ICMPv6
  decode(link::kRaw, B::ipv6(58, std::string(8, 'i')), st, Transport::None);
  EXPECT_EQ(st[DecodeCounter::not_tcp_udp], 1u);
}

TEST(PacketDecoder, NonIpAndUnknownLinkTypes) {
  DecodeStats st{};
  decode(link::kEthernet, B::ethernet(0x0806, std::string(28, 'a')), st, Transport::None);  // ARP
  decode(link::kEthernet, B::ethernet(0x0040, std::string(46, 'l')), st, Transport::None);  // 802.3 length
  EXPECT_EQ(st[DecodeCounter::non_ip], 2u);
  decode(147, std::string(40, 'u'), st, Transport::None);  // DLT_USER0
  EXPECT_EQ(st[DecodeCounter::unsupported_link_type], 1u);
}

TEST(PacketDecoder, EveryPrefixOfAPacketIsSafe) {
  // Cut a VLAN-tagged IPv6 TCP packet at every length, both as a short capture (caplen < len)
  // and as a packet that is really that short: each is counted, none is read past its end
  // (ASan watches the heap copy).
  const std::string hbh = std::string("\x06\x00", 2) + std::string(6, '\0');
  const std::string full = B::ethernet(0x8100, std::string("\x00\x01\x86\xdd", 4) +
                                                   B::ipv6(0, hbh + B::tcp(1, 2, 3, tcp_flag::kAck, "payload")));
  for (std::size_t n = 0; n < full.size(); ++n) {
    for (bool really_short : {false, true}) {
      std::unique_ptr<uint8_t[]> copy(new uint8_t[n + 1]);
      std::memcpy(copy.get(), full.data(), n);
      DecodeStats st{};
      L4Packet out;
      const uint32_t wire = really_short ? static_cast<uint32_t>(n) : static_cast<uint32_t>(full.size());
      const Transport t = decode_packet(link::kEthernet, copy.get(), static_cast<uint32_t>(n), wire, out, st);
      if (t == Transport::None) {
        EXPECT_EQ(st.total(), 1u) << n;
      } else {
        // Headers complete but payload cut: delivered as truncated so TCP knows bytes were lost.
        EXPECT_FALSE(really_short) << n;
        EXPECT_TRUE(out.payload_truncated) << n;
        EXPECT_EQ(st[DecodeCounter::truncated_packet], 1u) << n;
        EXPECT_LE(out.payload + out.payload_len, copy.get() + n);
      }
    }
  }
}

TEST(PacketDecoder, InconsistentLengthsAreMalformed) {
  DecodeStats st{};
  std::string ip = B::ipv4(17, B::udp(1, 2, "abc"));
  ip[0] = 0x44;  // IHL 16 bytes
  decode(link::kRaw, ip, st, Transport::None);
  ip = B::ipv4(17, B::udp(1, 2, "abc"));
  ip[25] = 100;  // UDP length beyond the IP payload
  decode(link::kRaw, ip, st, Transport::None);
  ip = B::ipv4(6, B::tcp(1, 2, 3, 0, "abc"));
  ip[32] = 0x20;  // TCP data offset 8 bytes
  decode(link::kRaw, ip, st, Transport::None);
  EXPECT_EQ(st[DecodeCounter::malformed_packet], 3u);
}

// End to end: a small WebSocket conversation over each link type, written as a pcap here.
void write_conversation(test::PcapWriter& w, const std::function<std::string(const std::string&)>& wrap_l4_v6) {
  const std::string request = "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
  const std::string response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
  const std::string f1 = std::string("\x81\x05hello", 7), f2 = std::string("\x82\x03\x01\x02\x03", 5);
  int64_t ts = 1'700'000'000'123'456'789;
  auto seg = [&](bool client, uint32_t seq, uint8_t flags, const std::string& data) {
    const std::string tcp = client ? B::tcp(50000, 443, seq, flags, data) : B::tcp(443, 50000, seq, flags, data);
    w.write(wrap_l4_v6(tcp), ts);
    ts += 1000;
  };
  seg(true, 100, tcp_flag::kSyn, "");
  seg(false, 900, tcp_flag::kSyn | tcp_flag::kAck, "");
  seg(true, 101, tcp_flag::kAck, request);
  seg(false, 901, tcp_flag::kAck, response + f1);
  seg(false, 901 + static_cast<uint32_t>(response.size() + f1.size()), tcp_flag::kAck, f2);
}

TEST(PacketDecoder, WebSocketOverEveryLinkTypeEndToEnd) {
  struct Case {
    const char* what;
    int link;
    std::function<std::string(const std::string&)> wrap;
  };
  const std::vector<Case> cases = {
      {"ethernet/v6", link::kEthernet, [](const std::string& t) { return B::ethernet(0x86DD, B::ipv6(6, t)); }},
      {"sll/v4", link::kLinuxSll, [](const std::string& t) { return std::string(14, '\0') + std::string("\x08\x00", 2) + B::ipv4(6, t); }},
      {"sll2/v6", link::kLinuxSll2, [](const std::string& t) { return std::string("\x86\xdd", 2) + std::string(18, '\0') + B::ipv6(6, t); }},
      {"raw/v4", link::kRaw, [](const std::string& t) { return B::ipv4(6, t); }},
      {"null/v6", link::kNull, [](const std::string& t) { return le32(30) + B::ipv6(6, t); }},
  };
  for (const Case& c : cases) {
    const std::string path = ::testing::TempDir() + "/tp_link_" + std::to_string(c.link) + ".pcap";
    {
      test::PcapWriter w(path, c.link);
      write_conversation(w, c.wrap);
    }
    DecodeStats st{};
    const test::CollectSink sink = test::decode_file(path, &st);
    ASSERT_EQ(sink.messages.size(), 2u) << c.what;
    EXPECT_EQ(sink.messages[0].payload, "hello") << c.what;
    EXPECT_EQ(sink.messages[1].payload, std::string("\x01\x02\x03", 3)) << c.what;
    EXPECT_EQ(sink.messages[0].ts_ns, 1'700'000'000'123'459'789) << c.what;  // the 4th packet, ns exact
    std::remove(path.c_str());
  }
}

TEST(PacketDecoder, MicrosecondPcapTimestampsComeBackInNanoseconds) {
  const std::string path = ::testing::TempDir() + "/tp_usec.pcap";
  {
    pcap_t* dead = pcap_open_dead(DLT_RAW, 65535);  // classic µs pcap
    pcap_dumper_t* d = pcap_dump_open(dead, path.c_str());
    const std::string pkt = B::ipv4(17, B::udp(1, 2, "t"));
    pcap_pkthdr h{};
    h.ts.tv_sec = 1'700'000'000;
    h.ts.tv_usec = 654321;
    h.caplen = h.len = static_cast<bpf_u_int32>(pkt.size());
    pcap_dump(reinterpret_cast<u_char*>(d), &h, reinterpret_cast<const u_char*>(pkt.data()));
    pcap_dump_close(d);
    pcap_close(dead);
  }
  const test::CollectSink sink = test::decode_file(path);
  ASSERT_EQ(sink.messages.size(), 1u);
  EXPECT_EQ(sink.messages[0].ts_ns, 1'700'000'000'654'321'000);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace tp::feed
