// Gap resynchronisation of the WebSocket framer (a TCP hole that never fills) and IP fragment
// reassembly, on hand-built input.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "capture_writer.hpp"
#include "feed/ip_fragment_reassembler.hpp"
#include "feed/websocket_framer.hpp"

namespace tp::feed {
namespace {

namespace cw = test::cw;

struct Out {
  std::vector<std::string> messages;
  static void fn(void* ctx, const Message& m) noexcept { static_cast<Out*>(ctx)->messages.emplace_back(m.data, m.size); }
  MessageFn sink() { return MessageFn{this, &Out::fn}; }
};

void feed(WebSocketFramer& f, Out& o, std::string_view s) {
  f.feed(reinterpret_cast<const uint8_t*>(s.data()), s.size(), 0, o.sink());
}

TEST(Resync, StraddlingMessageDroppedAndSegmentAlignedFramesResume) {
  DecodeStats st{};
  WebSocketFramer f(FramerOptions{}, &st);
  Out o;
  const std::string a = cw::ws_frame(1, "first"), b = cw::ws_frame(1, std::string(300, 'b'));
  feed(f, o, a + b.substr(0, 100));  // "b" straddles the hole
  f.gap();
  EXPECT_TRUE(f.resyncing());
  feed(f, o, b.substr(200));  // the rest of "b" after the hole: no boundary at its start
  const std::string c = cw::ws_frame(1, "c"), d = cw::ws_frame(2, "dd"), e = cw::ws_frame(1, "eee");
  feed(f, o, c);   // one frame ending at the segment end: not yet proven
  EXPECT_EQ(o.messages, std::vector<std::string>{"first"});
  feed(f, o, d + e);  // more whole frames ending at a segment end: proven from c's segment on
  // c, the chain's first frame, is never delivered (it could be a false header that happens to
  // point at a real one).
  EXPECT_EQ(o.messages, (std::vector<std::string>{"first", "dd", "eee"}));
  EXPECT_EQ(st[DecodeCounter::tcp_resync], 1u);
  EXPECT_FALSE(f.resyncing());
}

TEST(Resync, BusyStreamProvenByFourFramesMidSegment) {
  DecodeStats st{};
  WebSocketFramer f(FramerOptions{}, &st);
  Out o;
  std::string stream;
  std::vector<std::string> sent;
  for (int i = 0; i < 12; ++i) {
    sent.push_back("{\"i\":" + std::to_string(i) + ",\"pad\":\"" + std::string(40 + i * 7, 'x') + "\"}");
    stream += cw::ws_frame(1, sent.back());
  }
  f.gap();
  // The bytes after the hole start in the middle of message 2 and come in 97-byte segments
  // that never line up with the frames.
  const std::size_t from = cw::ws_frame(1, sent[0]).size() + cw::ws_frame(1, sent[1]).size() + 20;
  for (std::size_t off = from; off < stream.size(); off += 97) feed(f, o, std::string_view(stream).substr(off, 97));
  ASSERT_FALSE(o.messages.empty());
  EXPECT_EQ(st[DecodeCounter::tcp_resync], 1u);
  // A suffix of what was sent, nothing garbled; the first frame of a mid-segment chain (message
  // 3) is never delivered.
  const std::vector<std::string> tail(sent.end() - static_cast<std::ptrdiff_t>(o.messages.size()), sent.end());
  EXPECT_EQ(o.messages, tail);
  EXPECT_LE(o.messages.size(), 6u);
}

TEST(Resync, ContextTakeoverCannotResume) {
  DecodeStats st{};
  WebSocketFramer f(FramerOptions{}, &st);
  f.reset(DeflateParams{true, false, 15});
  f.gap();
  EXPECT_TRUE(f.failed());
  EXPECT_EQ(st[DecodeCounter::ws_resync_impossible], 1u);
}

TEST(Resync, NoContextTakeoverResumesWithAFreshInflater) {
  DecodeStats st{};
  WebSocketFramer f(FramerOptions{}, &st);
  f.reset(DeflateParams{true, true, 15});
  cw::WsDeflater z(15, true);
  Out o;
  const std::string m1 = cw::ws_frame(1, z.compress("one one one"), true, true);
  feed(f, o, m1.substr(0, 5));
  f.gap();
  std::string rest;
  for (const char* m : {"two", "three three", "four"}) rest += cw::ws_frame(1, z.compress(m), true, true);
  feed(f, o, rest);
  EXPECT_EQ(o.messages, (std::vector<std::string>{"three three", "four"}));  // the chain's first frame is skipped
}

// Property: whatever the hole and the segmentation, with payloads of random bytes (the hardest
// case for the boundary proof), every delivered message is one that was sent, in order, and
// every message entirely after the proven boundary is delivered.
TEST(Resync, RandomHolesNeverDeliverGarbage) {
  std::mt19937 rng(2024);
  std::size_t resumed = 0, total_lost = 0;
  const int rounds = std::getenv("TP_RESYNC_ROUNDS") ? std::atoi(std::getenv("TP_RESYNC_ROUNDS")) : 1500;
  for (int round = 0; round < rounds; ++round) {
    std::vector<std::string> sent;
    std::string stream;
    const int n = 20 + static_cast<int>(rng() % 20);
    for (int i = 0; i < n; ++i) {
      const bool big = rng() % 4 == 0;  // (one rng() per statement: a fixed sequence everywhere)
      std::string p(1 + rng() % (big ? 2000 : 120), '\0');
      for (char& c : p) c = static_cast<char>(rng());
      p[0] = static_cast<char>(i);  // distinct messages
      sent.push_back(p);
      const int frags = rng() % 5 == 0 ? 3 : 1;
      if (frags == 1) {
        stream += cw::ws_frame(rng() % 2 ? 1 : 2, p);
      } else {
        const std::size_t k = p.size() / 2;
        stream += cw::ws_frame(2, std::string_view(p).substr(0, k), false);
        if (rng() % 2) stream += cw::ws_frame(9, "ping");
        stream += cw::ws_frame(0, std::string_view(p).substr(k), true);
      }
    }
    DecodeStats st{};
    WebSocketFramer f(FramerOptions{.max_message_bytes = 1 << 16, .initial_message_bytes = 256, .deliver = true,
                                    .max_resync_bytes = 1 << 14},
                      &st);
    Out o;
    const std::size_t hole_at = rng() % stream.size();
    const std::size_t hole_len = 1 + rng() % 300;
    std::size_t off = 0;
    bool gapped = false;
    while (off < stream.size()) {
      const bool big = rng() % 3 == 0;
      std::size_t len = 1 + rng() % (big ? 1500 : 200);
      if (!gapped && off < hole_at && off + len > hole_at) len = hole_at - off;
      if (!gapped && off >= hole_at) {
        f.gap();
        gapped = true;
        off = std::min(stream.size(), hole_at + hole_len);
        continue;
      }
      len = std::min(len, stream.size() - off);
      feed(f, o, std::string_view(stream).substr(off, len));
      off += len;
    }
    // Subsequence check.
    std::size_t j = 0;
    for (const auto& m : o.messages) {
      while (j < sent.size() && sent[j] != m) ++j;
      ASSERT_LT(j, sent.size()) << "round " << round << ": a delivered message was never sent (false boundary)";
      ++j;
    }
    resumed += st[DecodeCounter::tcp_resync];
    total_lost += sent.size() - o.messages.size();
  }
  EXPECT_GT(resumed, static_cast<std::size_t>(rounds) * 2 / 3);  // nearly every hole is followed by enough frames to resume
  RecordProperty("messages_lost", static_cast<int>(total_lost));
}

// ---------------------------------------------------------------------------------------------
// IP fragments

IpFragment frag(uint32_t id, uint32_t off, bool more, const std::string& data, uint8_t last = 1) {
  IpFragment f;
  f.src.family = f.dst.family = 4;
  f.src.bytes[3] = last;
  f.dst.bytes[3] = 9;
  f.id = id;
  f.proto = 17;
  f.offset = off;
  f.more = more;
  f.data = reinterpret_cast<const uint8_t*>(data.data());
  f.len = static_cast<uint32_t>(data.size());
  return f;
}

TEST(IpFragments, OutOfOrderAndExactDuplicatesReassemble) {
  DecodeStats st{};
  IpFragmentReassembler r(IpFragmentOptions{}, &st);
  const std::string a(16, 'a'), b(16, 'b'), c = "tail";
  const uint8_t* p = nullptr;
  uint32_t n = 0;
  EXPECT_FALSE(r.add(frag(7, 32, false, c), 0, p, n));
  EXPECT_FALSE(r.add(frag(7, 0, true, a), 1, p, n));
  EXPECT_FALSE(r.add(frag(7, 0, true, a), 2, p, n));  // exact duplicate: harmless
  ASSERT_TRUE(r.add(frag(7, 16, true, b), 3, p, n));
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(p), n), a + b + c);
  EXPECT_EQ(st[DecodeCounter::ip_fragment_reassembled], 1u);
  EXPECT_EQ(r.in_progress(), 0u);
}

TEST(IpFragments, ConflictingOverlapDropsTheDatagram) {
  DecodeStats st{};
  IpFragmentReassembler r(IpFragmentOptions{}, &st);
  const uint8_t* p = nullptr;
  uint32_t n = 0;
  r.add(frag(1, 0, true, std::string(16, 'a')), 0, p, n);
  EXPECT_FALSE(r.add(frag(1, 8, true, std::string(16, 'X')), 1, p, n));  // overlaps with other bytes
  EXPECT_EQ(st[DecodeCounter::ip_fragment_dropped], 1u);
  EXPECT_FALSE(r.add(frag(1, 16, false, "end"), 2, p, n));  // a new, incomplete datagram now
  r.finish();
  EXPECT_EQ(st[DecodeCounter::ip_fragment_dropped], 2u);
  EXPECT_EQ(st[DecodeCounter::ip_fragment_reassembled], 0u);
}

TEST(IpFragments, BadGeometryIsDropped) {
  DecodeStats st{};
  IpFragmentReassembler r(IpFragmentOptions{}, &st);
  const uint8_t* p = nullptr;
  uint32_t n = 0;
  EXPECT_FALSE(r.add(frag(2, 0, true, std::string(13, 'a')), 0, p, n));  // non-last, not a multiple of 8
  EXPECT_FALSE(r.add(frag(3, 65528, false, std::string(64, 'a')), 0, p, n));  // past 64 KiB
  EXPECT_EQ(st[DecodeCounter::ip_fragment_dropped], 2u);
}

TEST(IpFragments, TimeoutAndTableLimit) {
  DecodeStats st{};
  IpFragmentReassembler r(IpFragmentOptions{.max_datagrams = 2, .max_bytes = 1 << 17, .timeout_ns = 1000}, &st);
  const uint8_t* p = nullptr;
  uint32_t n = 0;
  r.add(frag(1, 0, true, std::string(8, 'a')), 0, p, n);
  r.add(frag(2, 0, true, std::string(8, 'a')), 10, p, n);
  r.add(frag(3, 0, true, std::string(8, 'a')), 20, p, n);  // table full: datagram 1 gives way
  EXPECT_EQ(st[DecodeCounter::ip_fragment_dropped], 1u);
  r.add(frag(4, 0, true, std::string(8, 'a')), 5000, p, n);  // 2 and 3 timed out
  EXPECT_EQ(st[DecodeCounter::ip_fragment_dropped], 3u);
  EXPECT_EQ(r.in_progress(), 1u);
  EXPECT_FALSE(r.add(frag(1, 8, false, "x"), 5001, p, n));  // datagram 1's last piece: too late
  r.finish();
  EXPECT_EQ(st[DecodeCounter::ip_fragment_dropped], 5u);
}

}  // namespace
}  // namespace tp::feed
