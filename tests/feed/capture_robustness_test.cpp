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

}  // namespace
}  // namespace tp::feed
