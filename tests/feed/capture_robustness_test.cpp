// Damaged and rearranged captures: truncated files, garbage, packets cut short by the capture,
// reordered and duplicated TCP segments. Clean errors or counted skips, never a crash, never a
// garbled message.
#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "feed/capture_decoder.hpp"
#include "capture_writer.hpp"
#include "feed/packet_decoder.hpp"
#include "feed_test_util.hpp"

namespace tp::feed {
namespace {

using test::CollectSink;
using test::data_path;

struct Record {
  pcap_pkthdr hdr;
  std::string bytes;
};

std::vector<Record> read_records(const std::string& path, int* link = nullptr) {
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* p = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, err);
  std::vector<Record> out;
  if (p == nullptr) return out;
  if (link != nullptr) *link = pcap_datalink(p);
  pcap_pkthdr* h;
  const u_char* d;
  while (pcap_next_ex(p, &h, &d) == 1) out.push_back({*h, std::string(reinterpret_cast<const char*>(d), h->caplen)});
  pcap_close(p);
  return out;
}

void write_records(const std::string& path, int link, const std::vector<Record>& recs) {
  pcap_t* dead = pcap_open_dead_with_tstamp_precision(link, 262144, PCAP_TSTAMP_PRECISION_NANO);
  pcap_dumper_t* d = pcap_dump_open(dead, path.c_str());
  for (const Record& r : recs) pcap_dump(reinterpret_cast<u_char*>(d), &r.hdr, reinterpret_cast<const u_char*>(r.bytes.data()));
  pcap_dump_close(d);
  pcap_close(dead);
}

std::vector<std::string> expected() { return test::read_gz_lines(data_path("derived-loopback/expected_payloads.jsonl.gz")); }

// Every delivered message is the next expected one: a prefix, nothing garbled.
void expect_prefix(const CollectSink& sink, const std::vector<std::string>& want) {
  ASSERT_LE(sink.messages.size(), want.size());
  for (std::size_t i = 0; i < sink.messages.size(); ++i) ASSERT_EQ(sink.messages[i].payload, want[i]) << i;
}

// The delivered messages are the expected ones with one run of them missing (lost in a hole):
// a prefix, then a suffix, nothing garbled, nothing spliced. Returns how many are missing.
std::size_t expect_one_hole(const CollectSink& sink, const std::vector<std::string>& want) {
  const std::size_t got = sink.messages.size();
  EXPECT_LE(got, want.size());
  if (got > want.size()) return 0;
  std::size_t k = 0;
  while (k < got && sink.messages[k].payload == want[k]) ++k;
  const std::size_t missing = want.size() - got;
  for (std::size_t i = k; i < got; ++i) EXPECT_EQ(sink.messages[i].payload, want[i + missing]) << i;
  return missing;
}

const char* const kPlain = "derived-loopback/binance_spot_ws_plain_8080.pcap";
const char* const kDeflate = "derived-loopback/binance_spot_ws_permessage_deflate_9001.pcap";

TEST(CaptureRobustness, TruncatedFileDeliversWhatWasReadAndCountsIt) {
  const std::string whole = test::read_file(data_path(kDeflate));
  const auto want = expected();
  std::size_t last = 0;
  for (std::size_t cut : {std::size_t{24 + 7}, whole.size() / 3 + 5, whole.size() / 2 + 1, whole.size() - 3}) {
    test::TempFile f("truncated.pcap", std::string_view(whole).substr(0, cut));
    DecodeStats st{};
    const CollectSink sink = test::decode_file(f.path, &st);
    expect_prefix(sink, want);
    EXPECT_EQ(st[DecodeCounter::truncated_file], 1u) << cut;
    EXPECT_GE(sink.messages.size(), last) << cut;
    last = sink.messages.size();
  }
  EXPECT_GT(last, 1900u);
}

TEST(CaptureRobustness, FileCutInsideTheGlobalHeaderIsAnOpenError) {
  const std::string whole = test::read_file(data_path(kPlain));
  test::TempFile f("header_cut.pcap", std::string_view(whole).substr(0, 10));
  CaptureDecoder dec;
  std::string err;
  EXPECT_FALSE(dec.open(f.path, err));
  EXPECT_FALSE(err.empty());
}

TEST(CaptureRobustness, RandomBytesAreAnOpenErrorOrCountedSkips) {
  std::mt19937 rng(12345);
  for (int round = 0; round < 20; ++round) {
    std::string bytes(1 + rng() % 4096, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    if (round % 2 == 1) {
      // A valid pcap global header (µs, Ethernet) in front of random records.
      const std::string hdr("\xd4\xc3\xb2\xa1\x02\x00\x04\x00\0\0\0\0\0\0\0\0\xff\xff\x00\x00\x01\x00\x00\x00", 24);
      bytes = hdr + bytes;
    }
    test::TempFile f("random.pcap", bytes);
    CaptureDecoder dec;
    std::string err;
    CollectSink sink;
    if (!dec.open(f.path, err)) {
      EXPECT_FALSE(err.empty());
      continue;
    }
    std::size_t steps = 0;
    while (dec.step(sink)) ++steps;  // must end, whatever it holds
    EXPECT_EQ(dec.stats()[DecodeCounter::packets], steps);
  }
}

TEST(CaptureRobustness, RandomPacketBytesInValidRecords) {
  // Well-formed pcap records holding mutated copies of real packets: every header field is
  // fuzzed at some point; the decoder must count and go on.
  int link = 0;
  auto recs = read_records(data_path(kDeflate), &link);
  ASSERT_FALSE(recs.empty());
  std::mt19937 rng(99);
  for (Record& r : recs) {
    const int flips = static_cast<int>(rng() % 4);
    for (int i = 0; i < flips && !r.bytes.empty(); ++i) r.bytes[rng() % std::min<std::size_t>(r.bytes.size(), 80)] = static_cast<char>(rng());
  }
  const std::string path = ::testing::TempDir() + "/tp_mutated.pcap";
  write_records(path, link, recs);
  DecodeStats st{};
  test::decode_file(path, &st);
  EXPECT_EQ(st[DecodeCounter::packets], recs.size());
  std::remove(path.c_str());
}

TEST(CaptureRobustness, ReorderedAndDuplicatedSegmentsGiveTheSameMessages) {
  int link = 0;
  for (const char* file : {kPlain, kDeflate}) {
    auto recs = read_records(data_path(file), &link);
    ASSERT_GT(recs.size(), 100u);
    std::vector<Record> shuffled;
    std::mt19937 rng(7);
    // Swap neighbours now and then, hold a packet back a few places, and duplicate some.
    for (std::size_t i = 0; i < recs.size(); ++i) {
      if (i > 10 && i + 5 < recs.size() && rng() % 7 == 0) {
        std::swap(recs[i], recs[i + 1 + rng() % 4]);
      }
      shuffled.push_back(recs[i]);
      if (rng() % 11 == 0) shuffled.push_back(recs[i]);
    }
    const std::string path = ::testing::TempDir() + "/tp_reordered.pcap";
    write_records(path, link, shuffled);
    DecodeStats st{};
    const CollectSink sink = test::decode_file(path, &st);
    const auto want = expected();
    ASSERT_EQ(sink.messages.size(), want.size()) << file;
    for (std::size_t i = 0; i < want.size(); ++i) ASSERT_EQ(sink.messages[i].payload, want[i]) << file << " " << i;
    EXPECT_GT(st[DecodeCounter::tcp_out_of_order], 0u) << file;
    EXPECT_GT(st[DecodeCounter::tcp_retransmission], 0u) << file;
    EXPECT_EQ(st[DecodeCounter::tcp_gap], 0u) << file;
    std::remove(path.c_str());
  }
}

TEST(CaptureRobustness, LostSegmentIsSkippedAndDeliveryResumesAtAProvenBoundary) {
  int link = 0;
  auto recs = read_records(data_path(kPlain), &link);
  // Drop one large server data segment in the middle.
  std::size_t victim = recs.size() / 2;
  while (recs[victim].bytes.size() < 200) ++victim;
  recs.erase(recs.begin() + static_cast<std::ptrdiff_t>(victim));
  const std::string path = ::testing::TempDir() + "/tp_lost.pcap";
  write_records(path, link, recs);
  DecodeStats st{};
  const CollectSink sink = test::decode_file(path, &st);
  const std::size_t missing = expect_one_hole(sink, expected());
  EXPECT_GE(missing, 1u);
  EXPECT_LE(missing, 20u);  // the lost segment's messages and the one straddling it, no more
  EXPECT_EQ(st[DecodeCounter::tcp_gap], 1u);
  EXPECT_EQ(st[DecodeCounter::tcp_resync], 1u);
  std::remove(path.c_str());
}

TEST(CaptureRobustness, LostSegmentWithContextTakeoverStopsTheDirection) {
  // permessage-deflate with context takeover: the inflate window is lost with the segment.
  int link = 0;
  auto recs = read_records(data_path(kDeflate), &link);
  std::size_t victim = recs.size() / 2;
  while (recs[victim].bytes.size() < 200) ++victim;
  recs.erase(recs.begin() + static_cast<std::ptrdiff_t>(victim));
  const std::string path = ::testing::TempDir() + "/tp_lost_deflate.pcap";
  write_records(path, link, recs);
  DecodeStats st{};
  const CollectSink sink = test::decode_file(path, &st);
  expect_prefix(sink, expected());
  EXPECT_LT(sink.messages.size(), 2000u);
  EXPECT_GT(sink.messages.size(), 500u);
  EXPECT_EQ(st[DecodeCounter::tcp_gap], 1u);
  EXPECT_EQ(st[DecodeCounter::ws_resync_impossible], 1u);
  EXPECT_EQ(st[DecodeCounter::tcp_resync], 0u);
  std::remove(path.c_str());
}

TEST(CaptureRobustness, MessageWhoseLastPacketIsCutIsNotDelivered) {
  int link = 0;
  // TCP: cut one server data segment short (caplen < len).
  {
    auto recs = read_records(data_path(kPlain), &link);
    std::size_t victim = recs.size() / 2;
    while (recs[victim].bytes.size() < 200) ++victim;
    recs[victim].bytes.resize(recs[victim].bytes.size() - 10);
    recs[victim].hdr.caplen -= 10;
    const std::string path = ::testing::TempDir() + "/tp_cut_tcp.pcap";
    write_records(path, link, recs);
    DecodeStats st{};
    const CollectSink sink = test::decode_file(path, &st);
    const std::size_t missing = expect_one_hole(sink, expected());
    EXPECT_GE(missing, 1u);
    EXPECT_LE(missing, 20u);
    EXPECT_EQ(st[DecodeCounter::truncated_packet], 1u);
    EXPECT_EQ(st[DecodeCounter::tcp_gap], 1u);
    std::remove(path.c_str());
  }
  // UDP: the cut datagram alone is missing.
  {
    auto recs = read_records(data_path("derived-loopback/binance_spot_udp_json_30001.pcap"), &link);
    recs[5].bytes.resize(recs[5].bytes.size() - 1);
    recs[5].hdr.caplen -= 1;
    const std::string path = ::testing::TempDir() + "/tp_cut_udp.pcap";
    write_records(path, link, recs);
    DecodeStats st{};
    const CollectSink sink = test::decode_file(path, &st);
    auto want = expected();
    want.erase(want.begin() + 5);
    EXPECT_EQ(sink.payloads(), want);
    EXPECT_EQ(st[DecodeCounter::truncated_packet], 1u);
    std::remove(path.c_str());
  }
}

TEST(CaptureRobustness, MessageLimitDropsOnlyTheBigOnes) {
  DecoderOptions o;
  o.max_message_bytes = 200;
  o.initial_message_bytes = 64;
  for (const char* file : {kPlain, kDeflate}) {
    DecodeStats st{};
    const CollectSink sink = test::decode_file(data_path(file), &st, o);
    std::vector<std::string> want;
    for (const auto& m : expected()) {
      if (m.size() <= 200) want.push_back(m);
    }
    EXPECT_EQ(sink.payloads(), want) << file;
    EXPECT_EQ(st[DecodeCounter::ws_message_too_big], 2000u - want.size()) << file;
  }
}

TEST(CaptureRobustness, ConnectionLimitIsCounted) {
  // Two WebSocket connections interleaved, one slot: the second is counted, the first unharmed.
  using B = test::PacketBuilder;
  const std::string path = ::testing::TempDir() + "/tp_two_conns.pcap";
  {
    test::PcapWriter w(path, DLT_RAW);
    const std::string req = "GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n";
    const std::string resp = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n";
    int64_t ts = 1;
    for (uint16_t port : {40001, 40002}) {
      w.write(B::ipv4(6, B::tcp(port, 80, 0, tcp_flag::kSyn, "")), ts++);
    }
    for (uint16_t port : {40001, 40002}) {
      w.write(B::ipv4(6, B::tcp(port, 80, 1, tcp_flag::kAck, req)), ts++);
      const std::string reply = B::tcp(80, port, 1, tcp_flag::kAck, resp + "\x81\x01" + char('0' + port % 10));
      w.write(B::ipv4(6, reply, 0x7F000002, 0x7F000001), ts++);
    }
  }
  DecoderOptions o;
  o.max_connections = 1;
  DecodeStats st{};
  const CollectSink sink = test::decode_file(path, &st, o);
  EXPECT_EQ(sink.payloads(), std::vector<std::string>{"1"});
  EXPECT_EQ(st[DecodeCounter::tcp_connection_limit], 3u);
  EXPECT_EQ(st[DecodeCounter::tcp_connections], 1u);
  std::remove(path.c_str());
}

// ---------------------------------------------------------------------------------------------
// Lost bytes are counted (issue 9): an oversized frame, a stream that ends inside a frame.

namespace cw = test::cw;

// A WebSocket connection as a capture: handshake, upgrade, the server's frames in 1448-byte
// segments, then `ending`: both FINs, the server's FIN only, a RST, or nothing (the capture stops).
enum class Ending { Fin, ServerFin, Rst, None };
std::string ws_capture(const cw::WsSession& ws, const std::string& server_bytes, Ending ending = Ending::Fin) {
  cw::TcpConversation c(cw::ep4(10, 0, 0, 1, 40001), cw::ep4(10, 0, 0, 2, 443));
  c.handshake();
  c.send(true, ws.request);
  c.send(false, ws.response);
  c.send(false, server_bytes);
  switch (ending) {
    case Ending::Fin:
      c.fin(false);
      c.fin(true);
      break;
    case Ending::ServerFin: c.fin(false); break;
    case Ending::Rst: c.rst(true); break;
    case Ending::None: break;
  }
  cw::Capture cap;
  cap.tcp(c);
  return cap.pcap();
}

std::string small_msg(int i) { return R"({"e":"trade","s":"BTCUSDT","t":)" + std::to_string(i) + "}"; }

TEST(CaptureLostBytes, OversizedFrameDoesNotTakeTheNextFramesWithIt) {
  // 2001 messages; the second one is larger than max_message_bytes. Only that one is lost, and it
  // is counted; so with permessage-deflate (judged by the inflated size), with and without
  // context takeover.
  std::string big;
  for (int i = 0; i < 20000; ++i) big += std::to_string(i * 7919 % 10007) + ",";
  for (const cw::WsParams params : {cw::WsParams{}, cw::WsParams{.deflate = true},
                                    cw::WsParams{.deflate = true, .server_no_context_takeover = true}}) {
    DecoderOptions o;
    o.max_message_bytes = 4096;
    o.initial_message_bytes = 1024;
    cw::WsSession ws(params);
    std::vector<std::string> want;
    for (int i = 0; i < 2001; ++i) {
      if (i == 1) {
        ws.server_message(cw::ws::kText, big);
        continue;
      }
      ws.server_message(cw::ws::kText, small_msg(i));
      want.push_back(small_msg(i));
    }
    test::TempFile f("oversized.pcap", ws_capture(ws, ws.server));
    DecodeStats st{};
    const CollectSink sink = test::decode_file(f.path, &st, o);
    const std::string what = params.deflate ? (params.server_no_context_takeover ? "deflate, no context takeover" : "deflate") : "plain";
    EXPECT_EQ(sink.payloads(), want) << what;
    EXPECT_EQ(st[DecodeCounter::ws_message_too_big], 1u) << what;
    // Uncompressed: the frame header alone said so, and its payload was skipped unread.
    EXPECT_EQ(st[DecodeCounter::ws_oversized_frame], params.deflate ? 0u : 1u) << what;
    EXPECT_EQ(st[DecodeCounter::ws_oversized_frame_bytes], params.deflate ? 0u : big.size()) << what;
    EXPECT_EQ(st[DecodeCounter::ws_truncated_at_end], 0u) << what;
    EXPECT_EQ(st[DecodeCounter::ws_inflate_error], 0u) << what;
  }
}

TEST(CaptureLostBytes, FrameHeaderDeclaringMoreThanTheLimitIsCounted) {
  // Issue 9's capture: the second frame's header declares 1 GiB, more than the limit and than the
  // rest of the connection, so by the protocol its payload is the 1999 frames after it. They
  // cannot be told from payload, so they are lost, but no longer silently: the message is too
  // big, the frame oversized, and every byte it took is counted.
  DecoderOptions o;
  o.max_message_bytes = 1 << 20;
  cw::WsSession ws;
  ws.server_message(cw::ws::kText, small_msg(0));
  std::string bytes = ws.server;
  bytes += std::string("\x81\x7f\x00\x00\x00\x00\x40\x00\x00\x00", 10);  // FIN text, 2^30 bytes
  const std::size_t swallowed_from = bytes.size();
  for (int i = 2; i < 2001; ++i) bytes += cw::ws_frame(cw::ws::kText, small_msg(i));
  for (const Ending ending : {Ending::Fin, Ending::None}) {
    test::TempFile f("declares_too_much.pcap", ws_capture(ws, bytes, ending));
    DecodeStats st{};
    const CollectSink sink = test::decode_file(f.path, &st, o);
    EXPECT_EQ(sink.payloads(), std::vector<std::string>{small_msg(0)});
    EXPECT_EQ(st[DecodeCounter::ws_message_too_big], 1u);
    EXPECT_EQ(st[DecodeCounter::ws_oversized_frame], 1u);
    EXPECT_EQ(st[DecodeCounter::ws_oversized_frame_bytes], bytes.size() - swallowed_from);
    EXPECT_EQ(st[DecodeCounter::ws_truncated_at_end], 0u);  // that message was counted already
  }
}

TEST(CaptureLostBytes, StreamEndingInsideAMessageIsCounted) {
  struct Cut {
    const char* what;
    std::string bytes;  // after 5 whole messages
    uint64_t truncated;
  };
  const std::string data = cw::ws_frame(cw::ws::kText, std::string(3000, 'd'));
  const std::vector<Cut> cuts = {
      {"clean", "", 0},
      {"inside a frame's payload", data.substr(0, 2000), 1},
      {"inside a frame's header", data.substr(0, 3), 1},
      {"between the fragments of a message", cw::ws_frame(cw::ws::kText, "first half", false), 1},
      {"inside a ping (nothing lost)", cw::ws_frame(cw::ws::kPing, "are you there").substr(0, 6), 0},
  };
  const std::pair<Ending, const char*> endings[] = {
      {Ending::Fin, "FIN"}, {Ending::ServerFin, "server FIN"}, {Ending::Rst, "RST"}, {Ending::None, "end of capture"}};
  for (const Cut& cut : cuts) {
    for (const auto& [ending, how] : endings) {
      cw::WsSession ws;
      std::vector<std::string> want;
      for (int i = 0; i < 5; ++i) {
        ws.server_message(cw::ws::kText, small_msg(i));
        want.push_back(small_msg(i));
      }
      test::TempFile f("cut_end.pcap", ws_capture(ws, ws.server + cut.bytes, ending));
      DecodeStats st{};
      const CollectSink sink = test::decode_file(f.path, &st);
      EXPECT_EQ(sink.payloads(), want) << cut.what << ", " << how;
      EXPECT_EQ(st[DecodeCounter::ws_truncated_at_end], cut.truncated) << cut.what << ", " << how;
      EXPECT_EQ(st[DecodeCounter::tcp_gap], 0u) << cut.what << ", " << how;
    }
  }
}

TEST(CaptureLostBytes, ConnectionReplacedOnItsTupleEndsItsStream) {
  // The tuple is reused by a new connection (a SYN with a new ISN) while the old server stream is
  // inside a message: that message is counted, the new connection decodes normally.
  const cw::Endpoint client = cw::ep4(10, 0, 0, 1, 40001), server = cw::ep4(10, 0, 0, 2, 443);
  cw::WsSession first, second;
  first.server_message(cw::ws::kText, small_msg(1));
  second.server_message(cw::ws::kText, small_msg(2));
  cw::Capture cap;
  for (int k = 0; k < 2; ++k) {
    const cw::WsSession& ws = k == 0 ? first : second;
    cw::TcpConversation c(client, server, k == 0 ? 1000u : 900000u, k == 0 ? 5000u : 7000000u);
    c.handshake();
    c.send(true, ws.request);
    c.send(false, ws.response);
    c.send(false, k == 0 ? ws.server + cw::ws_frame(cw::ws::kText, "cut off").substr(0, 5) : ws.server);
    if (k == 1) {
      c.fin(false);
      c.fin(true);
    }
    cap.tcp(c);
  }
  test::TempFile f("reused.pcap", cap.pcap());
  DecodeStats st{};
  const CollectSink sink = test::decode_file(f.path, &st);
  EXPECT_EQ(sink.payloads(), (std::vector<std::string>{small_msg(1), small_msg(2)}));
  EXPECT_EQ(st[DecodeCounter::tcp_connections], 2u);
  EXPECT_EQ(st[DecodeCounter::ws_truncated_at_end], 1u);
}

TEST(CaptureLostBytes, NextFileOpenedBeforeTheEndCountsTheOpenStreams) {
  // Packets: ... a whole message, the start of the next one, the client's FIN. The next file is
  // opened right after the start of that message was read: its stream ends there.
  cw::WsSession ws;
  ws.server_message(cw::ws::kText, small_msg(1));
  cw::TcpConversation c(cw::ep4(10, 0, 0, 1, 40001), cw::ep4(10, 0, 0, 2, 443));
  c.handshake();
  c.send(true, ws.request);
  c.send(false, ws.response);
  c.send(false, ws.server);
  c.send(false, cw::ws_frame(cw::ws::kText, "cut off").substr(0, 5));
  c.fin(true);
  cw::Capture cap;
  cap.tcp(c);
  test::TempFile f("first_file.pcap", cap.pcap());
  CaptureDecoder dec;
  std::string err;
  CollectSink sink;
  ASSERT_TRUE(dec.open(f.path, err)) << err;
  while (dec.stats()[DecodeCounter::messages_websocket] == 0) ASSERT_TRUE(dec.step(sink));
  ASSERT_TRUE(dec.step(sink));  // the start of the next message
  EXPECT_EQ(dec.stats()[DecodeCounter::ws_truncated_at_end], 0u);
  ASSERT_TRUE(dec.open(f.path, err)) << err;
  EXPECT_EQ(dec.stats()[DecodeCounter::ws_truncated_at_end], 1u);
  dec.run(sink);  // this time to the end of the file: counted there
  EXPECT_EQ(dec.stats()[DecodeCounter::ws_truncated_at_end], 2u);
  EXPECT_EQ(sink.payloads(), (std::vector<std::string>{small_msg(1), small_msg(1)}));
}

// ---------------------------------------------------------------------------------------------
// A valid file header followed by garbage is a capture whose unreadable rest is counted, wherever
// the garbage starts; a file that is no capture at all is an open error.

std::string pcapng_shb_only() { return cw::pcapng_file({}, {}); }

// The same Section Header Block written big-endian.
std::string pcapng_shb_big_endian() {
  std::string b("\x0a\x0d\x0d\x0a\x00\x00\x00\x1c\x1a\x2b\x3c\x4d\x00\x01\x00\x00", 16);
  b += std::string(8, '\xff');
  b += std::string("\x00\x00\x00\x1c", 4);
  return b;
}

TEST(CaptureRobustness, PcapngGarbageRightAfterTheSectionHeaderIsACountedSkip) {
  std::mt19937 rng(2024);
  std::string garbage(300, '\0');
  for (char& c : garbage) c = static_cast<char>(rng());
  garbage.replace(0, 8, "\xde\xad\xbe\xef\x05\x00\x00\x00", 8);  // a block of length 5: invalid
  struct Case {
    const char* what;
    std::string bytes;
    DecodeCounter counted;
  };
  const std::vector<Case> cases = {
      {"garbage after the SHB", pcapng_shb_only() + garbage, DecodeCounter::corrupt_file},
      {"text after the SHB", pcapng_shb_only() + "this is not a block, just some words of text\n", DecodeCounter::corrupt_file},
      {"garbage after a big-endian SHB", pcapng_shb_big_endian() + garbage, DecodeCounter::corrupt_file},
      {"the SHB alone", pcapng_shb_only(), DecodeCounter::truncated_file},
      {"the SHB and a cut block header", pcapng_shb_only() + std::string("\x01\x00\x00", 3), DecodeCounter::truncated_file},
      {"the SHB and a cut IDB", cw::pcapng_file({cw::PcapngInterface{}}, {}).substr(0, 28 + 12), DecodeCounter::truncated_file},
  };
  for (const Case& c : cases) {
    test::TempFile f("shb_garbage.pcapng", c.bytes);
    CaptureDecoder dec;
    std::string err;
    ASSERT_TRUE(dec.open(f.path, err)) << c.what << ": " << err;
    CollectSink sink;
    dec.run(sink);
    EXPECT_TRUE(sink.messages.empty()) << c.what;
    EXPECT_EQ(dec.stats()[DecodeCounter::packets], 0u) << c.what;
    EXPECT_EQ(dec.stats()[c.counted], 1u) << c.what;
    EXPECT_EQ(dec.stats()[DecodeCounter::truncated_file] + dec.stats()[DecodeCounter::corrupt_file], 1u) << c.what;
    EXPECT_FALSE(dec.end_reason().empty()) << c.what;
    // The same through an open stream (what the fuzzer uses).
    std::string copy = c.bytes;
    std::FILE* fp = fmemopen(copy.data(), copy.size(), "rb");
    ASSERT_NE(fp, nullptr);
    CaptureDecoder from_stream;
    ASSERT_TRUE(from_stream.open(fp, err)) << c.what << ": " << err;
    from_stream.run(sink);
    EXPECT_EQ(from_stream.stats()[c.counted], 1u) << c.what;
  }
  // The same garbage one block later (after the interface) was already a counted skip: the two
  // now agree, and what comes before the garbage is delivered.
  cw::WsSession ws;
  ws.server_message(cw::ws::kText, small_msg(1));
  std::vector<cw::Packet> pkts;
  {
    cw::Capture cap;
    cw::TcpConversation c(cw::ep4(10, 0, 0, 1, 40001), cw::ep4(10, 0, 0, 2, 443));
    c.handshake();
    c.send(true, ws.request);
    c.send(false, ws.response);
    c.send(false, ws.server);
    cap.tcp(c);
    pkts = cap.packets;
  }
  test::TempFile later("idb_garbage.pcapng", cw::pcapng_file({cw::PcapngInterface{}}, pkts) + garbage);
  DecodeStats st{};
  const CollectSink sink = test::decode_file(later.path, &st);
  EXPECT_EQ(sink.payloads(), std::vector<std::string>{small_msg(1)});
  EXPECT_EQ(st[DecodeCounter::corrupt_file], 1u);
  // Reading the next file starts clean.
  CaptureDecoder dec;
  std::string err;
  test::TempFile bad("shb_garbage2.pcapng", pcapng_shb_only() + garbage);
  ASSERT_TRUE(dec.open(bad.path, err)) << err;
  ASSERT_TRUE(dec.open(later.path, err)) << err;
  CollectSink again;
  dec.run(again);
  EXPECT_EQ(again.payloads(), std::vector<std::string>{small_msg(1)});
}

TEST(CaptureRobustness, NotACaptureIsStillAnOpenError) {
  std::string shb_v2 = pcapng_shb_only();
  shb_v2[12] = 2;  // major version 2
  std::string shb_bad_trailer = pcapng_shb_only();
  shb_bad_trailer[shb_bad_trailer.size() - 4] = 0x20;
  const std::pair<const char*, std::string> cases[] = {
      {"text", "GET / HTTP/1.1\r\nHost: example\r\n\r\nthis is no capture file at all\n"},
      {"empty", ""},
      {"pcapng magic only", std::string("\x0a\x0d\x0d\x0a", 4)},
      {"an SHB cut short", pcapng_shb_only().substr(0, 20) },
      {"an SHB of an unsupported version", shb_v2 + std::string(64, 'x')},
      {"an SHB whose trailing length disagrees", shb_bad_trailer + std::string(64, 'x')},
      {"an SHB with an absurd length", std::string("\x0a\x0d\x0d\x0a\xff\xff\xff\x7f\x4d\x3c\x2b\x1a\x01\x00\x00\x00", 16) + std::string(64, 'x')},
  };
  for (const auto& [what, bytes] : cases) {
    test::TempFile f("not_a_capture.bin", bytes);
    CaptureDecoder dec;
    std::string err;
    EXPECT_FALSE(dec.open(f.path, err)) << what;
    EXPECT_NE(err.find(f.path), std::string::npos) << what << ": " << err;
  }
}

}  // namespace
}  // namespace tp::feed
