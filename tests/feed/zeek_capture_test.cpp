// Zeek's WebSocket and UDP test captures (tests/data/zeek, see SOURCE.md there). Expected
// messages were produced once with tshark (tests/data/zeek/make_expected.py) and are stored as
// <capture>.expected.hex; the tests never run tshark.
#include <gtest/gtest.h>

#include "feed/capture_decoder.hpp"
#include "feed_test_util.hpp"

namespace tp::feed {
namespace {

using test::CollectSink;
using test::data_path;

struct ZeekCase {
  const char* file;
  std::size_t messages;
};

class ZeekWebSocket : public ::testing::TestWithParam<ZeekCase> {};

TEST_P(ZeekWebSocket, MatchesTshark) {
  const std::string path = data_path(std::string("zeek/websocket/") + GetParam().file);
  const auto expected = test::read_hex_lines(path + ".expected.hex");
  DecodeStats st{};
  const CollectSink sink = test::decode_file(path, &st);
  ASSERT_EQ(expected.size(), GetParam().messages);
  ASSERT_EQ(sink.messages.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(sink.messages[i].payload, expected[i]) << "message " << i;
  EXPECT_EQ(st[DecodeCounter::messages_websocket], expected.size());
  EXPECT_EQ(st[DecodeCounter::tcp_gap], 0u);
  EXPECT_EQ(st[DecodeCounter::ws_inflate_error], 0u);
}

INSTANTIATE_TEST_SUITE_P(Captures, ZeekWebSocket,
                         ::testing::Values(ZeekCase{"websocket_baseline.pcap", 1}, ZeekCase{"websocket_compressed.pcap", 1},
                                           ZeekCase{"two-binary-fragments.pcap", 1},
                                           ZeekCase{"fragmented-http-reply.pcap", 1},
                                           ZeekCase{"reply-ping-coalesced.pcap", 1},
                                           ZeekCase{"reply-ping-separate.pcap", 1},
                                           ZeekCase{"jupyter-websocket.pcap", 11},
                                           ZeekCase{"broker-websocket.pcap", 4}, ZeekCase{"wstunnel-http.pcap", 1},
                                           ZeekCase{"message-too-big-status.pcap", 0},
                                           ZeekCase{"wrong-accept-header.pcap", 0},
                                           ZeekCase{"oversized-close-frame.pcapng", 0}),
                         [](const auto& info) {
                           std::string name = info.param.file;
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

// The same exchange with and without permessage-deflate gives the same messages.
TEST(ZeekWebSocketPairs, BaselineAndCompressedAgree) {
  const CollectSink plain = test::decode_file(data_path("zeek/websocket/websocket_baseline.pcap"));
  DecodeStats st{};
  const CollectSink deflated = test::decode_file(data_path("zeek/websocket/websocket_compressed.pcap"), &st);
  ASSERT_EQ(plain.messages.size(), 1u);
  EXPECT_EQ(plain.payloads(), deflated.payloads());
  EXPECT_GT(plain.messages[0].payload.size(), 100u);
}

TEST(ZeekWebSocketPairs, PingCoalescedAndSeparateAgree) {
  DecodeStats a{}, b{};
  const CollectSink coalesced = test::decode_file(data_path("zeek/websocket/reply-ping-coalesced.pcap"), &a);
  const CollectSink separate = test::decode_file(data_path("zeek/websocket/reply-ping-separate.pcap"), &b);
  EXPECT_EQ(coalesced.payloads(), separate.payloads());
  ASSERT_EQ(coalesced.messages.size(), 1u);
  EXPECT_EQ(coalesced.messages[0].payload, "Hello there!");
  // ping, pong, close each way: never delivered, always counted.
  EXPECT_EQ(a[DecodeCounter::ws_control_frame], b[DecodeCounter::ws_control_frame]);
  EXPECT_GE(a[DecodeCounter::ws_control_frame], 3u);
}

TEST(ZeekWebSocketEdges, OversizedCloseFrameStopsTheDirection) {
  // A close frame announcing a 64-bit payload length: control frames carry at most 125 bytes
  // (RFC 6455 §5.5), so this is a protocol error; nothing is delivered and nothing crashes.
  DecodeStats st{};
  const CollectSink sink = test::decode_file(data_path("zeek/websocket/oversized-close-frame.pcapng"), &st);
  EXPECT_TRUE(sink.messages.empty());
  EXPECT_EQ(st[DecodeCounter::ws_protocol_error], 1u);
}

TEST(ZeekWebSocketEdges, JupyterBinaryFramesWith16BitLengths) {
  const CollectSink sink = test::decode_file(data_path("zeek/websocket/jupyter-websocket.pcap"));
  ASSERT_EQ(sink.messages.size(), 11u);
  for (const auto& m : sink.messages) {
    EXPECT_GT(m.payload.size(), 125u);  // every one needed the 16-bit length form
    EXPECT_LT(m.payload.size(), 65536u);
  }
}

TEST(ZeekUdp, EveryDatagramIsAMessage) {
  struct Case {
    const char* file;
    std::size_t datagrams;
  };
  for (const Case c : {Case{"udp-broadcast.pcap", 1}, Case{"syslog-single-udp.pcap", 1}, Case{"ip4-udp-good-chksum.pcap", 1},
                       Case{"ip4-udp-bad-chksum.pcap", 1},  // checksums are not checked
                       Case{"dnp3_udp_read.pcap", 23}, Case{"udp.pcap", 2}}) {
    DecodeStats st{};
    const CollectSink sink = test::decode_file(data_path(std::string("zeek/udp/") + c.file), &st);
    EXPECT_EQ(sink.messages.size(), c.datagrams) << c.file;
    EXPECT_EQ(st[DecodeCounter::messages_udp], c.datagrams) << c.file;
  }
  const CollectSink broadcast = test::decode_file(data_path("zeek/udp/udp-broadcast.pcap"));
  ASSERT_EQ(broadcast.messages.size(), 1u);
  // UDP length 181 (SOURCE.md's figure) includes the 8-byte header: 173 bytes of payload.
  EXPECT_EQ(broadcast.messages[0].payload.size(), 173u);
}

}  // namespace
}  // namespace tp::feed
