// Replays of real loopback captures (tests/data/derived-loopback, see SOURCE.md there): the
// decoded messages must equal the payloads the server sent, byte for byte and in order.
#include <gtest/gtest.h>

#include "feed/capture_decoder.hpp"
#include "feed_test_util.hpp"

namespace tp::feed {
namespace {

using test::CollectSink;
using test::data_path;

std::vector<std::string> expected_payloads() {
  static const std::vector<std::string> lines = test::read_gz_lines(data_path("derived-loopback/expected_payloads.jsonl.gz"));
  return lines;
}

void expect_all_payloads(const CollectSink& sink) {
  const auto expected = expected_payloads();
  ASSERT_EQ(expected.size(), 2000u);
  ASSERT_EQ(sink.messages.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    ASSERT_EQ(sink.messages[i].payload, expected[i]) << "message " << i;
  }
  // Capture times never go backwards within one loopback capture.
  for (std::size_t i = 1; i < sink.messages.size(); ++i) {
    ASSERT_LE(sink.messages[i - 1].ts_ns, sink.messages[i].ts_ns) << "message " << i;
  }
}

TEST(CaptureDecoderReplay, PlainWebSocket) {
  DecodeStats st{};
  const CollectSink sink = test::decode_file(data_path("derived-loopback/binance_spot_ws_plain_8080.pcap"), &st);
  expect_all_payloads(sink);
  EXPECT_EQ(st[DecodeCounter::messages_websocket], 2000u);
  EXPECT_EQ(st[DecodeCounter::messages_udp], 0u);
  EXPECT_EQ(st[DecodeCounter::ws_client_message], 1u);  // the SUBSCRIBE frame, never delivered
  EXPECT_GE(st[DecodeCounter::ws_control_frame], 1u);   // close
  EXPECT_EQ(st[DecodeCounter::not_websocket], 0u);
  EXPECT_EQ(st[DecodeCounter::ws_protocol_error], 0u);
  EXPECT_EQ(st[DecodeCounter::tcp_gap], 0u);
  EXPECT_EQ(st[DecodeCounter::packets], 2441u);
}

TEST(CaptureDecoderReplay, PermessageDeflateWithContextTakeover) {
  DecodeStats st{};
  const CollectSink sink = test::decode_file(data_path("derived-loopback/binance_spot_ws_permessage_deflate_9001.pcap"), &st);
  expect_all_payloads(sink);
  EXPECT_EQ(st[DecodeCounter::messages_websocket], 2000u);
  EXPECT_EQ(st[DecodeCounter::ws_inflate_error], 0u);
  EXPECT_EQ(st[DecodeCounter::ws_protocol_error], 0u);
  EXPECT_EQ(st[DecodeCounter::tcp_gap], 0u);
}

TEST(CaptureDecoderReplay, UdpDatagrams) {
  DecodeStats st{};
  const CollectSink sink = test::decode_file(data_path("derived-loopback/binance_spot_udp_json_30001.pcap"), &st);
  expect_all_payloads(sink);
  EXPECT_EQ(st[DecodeCounter::messages_udp], 2000u);
  EXPECT_EQ(st[DecodeCounter::tcp_segments], 0u);
}

TEST(CaptureDecoderReplay, FixSessionIsNotWebSocket) {
  DecodeStats st{};
  const CollectSink sink = test::decode_file(data_path("derived-loopback/fix44_quickfix_executor_5001.pcap"), &st);
  EXPECT_TRUE(sink.messages.empty());
  EXPECT_EQ(st[DecodeCounter::not_websocket], 1u);
  EXPECT_EQ(st[DecodeCounter::tcp_connections], 1u);
  EXPECT_EQ(st[DecodeCounter::packets], 20u);
}

TEST(CaptureDecoderReplay, StatsAddUpAcrossFilesAndConnectionsReset) {
  CaptureDecoder dec;
  std::string err;
  CollectSink sink;
  ASSERT_TRUE(dec.open(data_path("derived-loopback/binance_spot_ws_plain_8080.pcap"), err)) << err;
  EXPECT_EQ(dec.link_type(), 1);  // Ethernet
  dec.run(sink);
  ASSERT_TRUE(dec.open(data_path("derived-loopback/binance_spot_udp_json_30001.pcap"), err)) << err;
  dec.run(sink);
  EXPECT_EQ(sink.messages.size(), 4000u);
  EXPECT_EQ(dec.stats()[DecodeCounter::messages_websocket], 2000u);
  EXPECT_EQ(dec.stats()[DecodeCounter::messages_udp], 2000u);
  EXPECT_FALSE(dec.step(sink));  // stays at the end
}

TEST(CaptureDecoderReplay, MissingFileIsAClearError) {
  CaptureDecoder dec;
  std::string err;
  EXPECT_FALSE(dec.open(data_path("derived-loopback/no_such_file.pcap"), err));
  EXPECT_NE(err.find("no_such_file.pcap"), std::string::npos) << err;
  CollectSink sink;
  EXPECT_FALSE(dec.step(sink));
}

}  // namespace
}  // namespace tp::feed
