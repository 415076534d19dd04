// WebSocketFramer on frames built byte by byte here: every length form, masking, fragmentation
// with control frames in between, chunk boundaries at every offset, permessage-deflate with and
// without context takeover, limits and protocol errors.
#include "feed/websocket_framer.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>
#include <vector>

#include "feed_test_util.hpp"

namespace tp::feed {
namespace {

constexpr uint8_t kText = 1, kBinary = 2, kCont = 0, kClose = 8, kPing = 9, kPong = 10;

struct FrameSpec {
  bool fin = true;
  uint8_t opcode = kText;
  bool rsv1 = false;
  bool masked = false;
  int force_len_form = 0;  // 0: minimal; 16 or 64: that extended form even if not needed
  uint8_t extra_bits = 0;  // raw bits OR'ed into the first byte (RSV2/RSV3 tests)
};

std::string frame(std::string_view payload, FrameSpec s = {}) {
  std::string f;
  f.push_back(static_cast<char>((s.fin ? 0x80 : 0) | (s.rsv1 ? 0x40 : 0) | s.extra_bits | s.opcode));
  const uint8_t mask_bit = s.masked ? 0x80 : 0;
  const uint64_t n = payload.size();
  if ((n <= 125 && s.force_len_form == 0)) {
    f.push_back(static_cast<char>(mask_bit | n));
  } else if ((n <= 0xFFFF && s.force_len_form != 64) || s.force_len_form == 16) {
    f.push_back(static_cast<char>(mask_bit | 126));
    f.push_back(static_cast<char>(n >> 8));
    f.push_back(static_cast<char>(n));
  } else {
    f.push_back(static_cast<char>(mask_bit | 127));
    for (int i = 7; i >= 0; --i) f.push_back(static_cast<char>(n >> (8 * i)));
  }
  if (s.masked) {
    const uint8_t key[4] = {0x37, 0xFA, 0x21, 0x3D};
    f.append(reinterpret_cast<const char*>(key), 4);
    for (std::size_t i = 0; i < payload.size(); ++i) f.push_back(static_cast<char>(payload[i] ^ key[i & 3]));
  } else {
    f.append(payload);
  }
  return f;
}

// Raw-deflate compressor as a permessage-deflate sender: each message flushed with Z_SYNC_FLUSH
// and its trailing 00 00 ff ff removed (RFC 7692 §7.2.1).
class Deflater {
 public:
  explicit Deflater(int window_bits = 15) { deflateInit2(&z_, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -window_bits, 8, Z_DEFAULT_STRATEGY); }
  ~Deflater() { deflateEnd(&z_); }
  std::string compress(std::string_view msg, bool reset_after = false, int flush = Z_SYNC_FLUSH) {
    std::string out(msg.size() * 2 + 64, '\0');
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(msg.data()));
    z_.avail_in = static_cast<uInt>(msg.size());
    z_.next_out = reinterpret_cast<Bytef*>(out.data());
    z_.avail_out = static_cast<uInt>(out.size());
    deflate(&z_, flush);
    out.resize(out.size() - z_.avail_out);
    if (flush == Z_SYNC_FLUSH && out.size() >= 4 && out.compare(out.size() - 4, 4, std::string("\0\0\xff\xff", 4)) == 0) {
      out.resize(out.size() - 4);
    }
    if (reset_after) deflateReset(&z_);
    return out;
  }

 private:
  z_stream z_{};
};

struct FramerRun {
  DecodeStats stats{};
  test::CollectSink sink;
  WebSocketFramer framer;
  explicit FramerRun(FramerOptions o = {}, DeflateParams d = {}) : framer(o, &stats) { framer.reset(d); }
  void feed(std::string_view bytes, int64_t ts = 7) {
    framer.feed(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), ts,
                MessageFn{&sink, [](void* c, const Message& m) noexcept { static_cast<test::CollectSink*>(c)->on_message(m); }});
  }
  std::vector<std::string> got() const { return sink.payloads(); }
};

TEST(WebSocketFramer, EveryLengthForm) {
  const std::vector<std::size_t> sizes = {0, 1, 125, 126, 127, 65535, 65536, 70000};
  FramerRun r;
  std::vector<std::string> want;
  for (std::size_t n : sizes) {
    std::string p(n, '\0');
    for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<char>('a' + i % 26);
    want.push_back(p);
    r.feed(frame(p, {.opcode = kBinary}));
  }
  // Non-minimal encodings are tolerated (RFC 6455 says senders MUST use the minimal one).
  want.push_back("tiny16");
  r.feed(frame("tiny16", {.force_len_form = 16}));
  want.push_back("tiny64");
  r.feed(frame("tiny64", {.force_len_form = 64}));
  EXPECT_EQ(r.got(), want);
  EXPECT_EQ(r.stats[DecodeCounter::messages_websocket], want.size());
  EXPECT_EQ(r.sink.messages[0].ts_ns, 7);
}

TEST(WebSocketFramer, MaskedFramesAreUnmasked) {
  FramerRun r;
  r.feed(frame("Hello, masked world", {.masked = true}));
  r.feed(frame(std::string(300, 'q'), {.opcode = kBinary, .masked = true}));
  ASSERT_EQ(r.got().size(), 2u);
  EXPECT_EQ(r.got()[0], "Hello, masked world");
  EXPECT_EQ(r.got()[1], std::string(300, 'q'));
}

TEST(WebSocketFramer, FragmentsWithControlFramesInBetween) {
  FramerRun r;
  r.feed(frame("Hel", {.fin = false, .opcode = kText}));
  r.feed(frame("are you there", {.opcode = kPing}));
  r.feed(frame("lo ", {.fin = false, .opcode = kCont, .masked = true}));
  r.feed(frame("", {.opcode = kPong}));
  r.feed(frame("world", {.opcode = kCont}));
  r.feed(frame("next"));
  EXPECT_EQ(r.got(), (std::vector<std::string>{"Hello world", "next"}));
  EXPECT_EQ(r.stats[DecodeCounter::ws_control_frame], 2u);
}

TEST(WebSocketFramer, SplitAtEveryByteOffset) {
  Deflater d;
  std::string stream;
  stream += frame("first", {.masked = true});
  stream += frame(std::string(200, 'x'), {.opcode = kBinary});
  stream += frame("frag-", {.fin = false});
  stream += frame("ping", {.opcode = kPing, .masked = true});
  stream += frame("ment", {.opcode = kCont});
  stream += frame(std::string(70000, 'L'), {.opcode = kBinary});
  const std::vector<std::string> want = {"first", std::string(200, 'x'), "frag-ment", std::string(70000, 'L')};
  for (std::size_t cut = 0; cut <= stream.size(); cut += (cut < 400 || cut > stream.size() - 400) ? 1 : 997) {
    FramerRun r;
    r.feed(std::string_view(stream).substr(0, cut));
    r.feed(std::string_view(stream).substr(cut));
    ASSERT_EQ(r.got(), want) << "cut at " << cut;
  }
  FramerRun bytewise;
  for (char c : stream) bytewise.feed(std::string_view(&c, 1));
  EXPECT_EQ(bytewise.got(), want);
}

TEST(WebSocketFramer, DeflateWithContextTakeover) {
  Deflater d;
  const std::vector<std::string> msgs = {
      R"({"e":"trade","s":"BTCUSDT","p":"60000.01","q":"0.5"})",
      R"({"e":"trade","s":"BTCUSDT","p":"60000.02","q":"0.5"})",  // mostly back-references
      std::string(100000, 'z'),
      R"({"e":"trade","s":"BTCUSDT","p":"60000.03","q":"0.7"})",
  };
  std::string stream;
  for (const auto& m : msgs) stream += frame(d.compress(m), {.rsv1 = true});
  const DeflateParams p{.enabled = true};
  for (std::size_t step : {std::size_t{1}, std::size_t{3}, stream.size()}) {
    FramerRun r({}, p);
    for (std::size_t i = 0; i < stream.size(); i += step) r.feed(std::string_view(stream).substr(i, step));
    EXPECT_EQ(r.got(), msgs) << "step " << step;
    EXPECT_EQ(r.stats[DecodeCounter::ws_inflate_error], 0u);
  }
  // The second message really depends on the first: inflating it alone must not give it back.
  FramerRun alone({}, p);
  Deflater d2;
  d2.compress(msgs[0]);
  alone.feed(frame(d2.compress(msgs[1]), {.rsv1 = true}));
  EXPECT_TRUE(alone.got().empty() || alone.got()[0] != msgs[1]);
}

TEST(WebSocketFramer, DeflateWithoutContextTakeover) {
  Deflater d;
  const std::vector<std::string> msgs = {"abcabcabcabc", "abcabcabcabc", "xyz"};
  std::string stream;
  for (const auto& m : msgs) stream += frame(d.compress(m, /*reset_after=*/true), {.rsv1 = true, .masked = true});
  FramerRun r({}, DeflateParams{.enabled = true, .no_context_takeover = true});
  r.feed(stream);
  EXPECT_EQ(r.got(), msgs);
}

TEST(WebSocketFramer, DeflateSmallWindow) {
  Deflater d(10);
  std::string big;
  for (int i = 0; i < 500; ++i) big += "tick " + std::to_string(i * 7919 % 1000) + ";";
  FramerRun r({}, DeflateParams{.enabled = true, .window_bits = 10});
  r.feed(frame(d.compress(big), {.rsv1 = true}));
  r.feed(frame(d.compress(big), {.rsv1 = true}));
  EXPECT_EQ(r.got(), (std::vector<std::string>{big, big}));
}

TEST(WebSocketFramer, FragmentedCompressedMessageIsOneDeflateStream) {
  // RFC 7692 §6.1: RSV1 on the first frame only; the payloads of all fragments are concatenated
  // and inflated as one. (tshark 4.0 inflates each fragment on its own, which is not the RFC's
  // answer; this test checks the RFC's.)
  Deflater d;
  const std::string msg = std::string(5000, 'a') + "the middle" + std::string(5000, 'b');
  const std::string z = d.compress(msg);
  const std::size_t third = z.size() / 3;
  std::string stream = frame(z.substr(0, third), {.fin = false, .rsv1 = true});
  stream += frame("", {.opcode = kPing});
  stream += frame(z.substr(third, third), {.fin = false, .opcode = kCont, .masked = true});
  stream += frame(z.substr(2 * third), {.opcode = kCont});
  FramerRun r({}, DeflateParams{.enabled = true});
  r.feed(stream);
  EXPECT_EQ(r.got(), std::vector<std::string>{msg});
}

TEST(WebSocketFramer, DeflateStreamEndedWithBfinal) {
  // A sender may end a message with a BFINAL block (RFC 7692 §7.2.3.5); the next message then
  // starts a new raw stream.
  Deflater a, b;
  FramerRun r({}, DeflateParams{.enabled = true});
  r.feed(frame(a.compress("first message", false, Z_FINISH), {.rsv1 = true}));
  r.feed(frame(b.compress("second message"), {.rsv1 = true}));
  EXPECT_EQ(r.got(), (std::vector<std::string>{"first message", "second message"}));
}

TEST(WebSocketFramer, UncompressedMessagesMixWithCompressedOnes) {
  Deflater d;
  FramerRun r({}, DeflateParams{.enabled = true});
  r.feed(frame(d.compress("one"), {.rsv1 = true}));
  r.feed(frame("two"));  // RSV1 clear: sent as is
  r.feed(frame(d.compress("three"), {.rsv1 = true}));
  EXPECT_EQ(r.got(), (std::vector<std::string>{"one", "two", "three"}));
}

TEST(WebSocketFramer, TooBigMessagesAreDroppedAndCounted) {
  FramerRun r(FramerOptions{.max_message_bytes = 100, .initial_message_bytes = 16});
  r.feed(frame(std::string(100, 'k')));  // exactly the limit: fine
  r.feed(frame(std::string(101, 'x')));
  r.feed(frame(std::string(60, 'y'), {.fin = false}));
  r.feed(frame(std::string(60, 'y'), {.opcode = kCont}));  // 120 over two fragments
  r.feed(frame("after"));
  EXPECT_EQ(r.got(), (std::vector<std::string>{std::string(100, 'k'), "after"}));
  EXPECT_EQ(r.stats[DecodeCounter::ws_message_too_big], 2u);
}

TEST(WebSocketFramer, TooBigCompressedMessageKeepsTheContext) {
  Deflater d;
  const std::string big(5000, 'B');
  FramerRun r(FramerOptions{.max_message_bytes = 1000, .initial_message_bytes = 256}, DeflateParams{.enabled = true});
  r.feed(frame(d.compress("small one"), {.rsv1 = true}));
  r.feed(frame(d.compress(big), {.rsv1 = true}));
  r.feed(frame(d.compress(big.substr(0, 900)), {.rsv1 = true}));  // refers back into the dropped one
  EXPECT_EQ(r.got(), (std::vector<std::string>{"small one", big.substr(0, 900)}));
  EXPECT_EQ(r.stats[DecodeCounter::ws_message_too_big], 1u);
}

TEST(WebSocketFramer, OversizedFrameIsSkippedByItsDeclaredLength) {
  // The header says the message cannot fit: it is dropped at once, its payload is skipped unread
  // (the buffer never grows toward the limit) and framing resumes exactly at the next header.
  const std::string big(2u << 20, 'X');  // twice the limit
  std::string stream = frame("before") + frame(big, {.opcode = kBinary}) + frame("after") + frame("and more");
  for (std::size_t step : {std::size_t{1} << 20, std::size_t{1448}, stream.size()}) {
    FramerRun r(FramerOptions{.max_message_bytes = 1 << 20, .initial_message_bytes = 256});
    for (std::size_t i = 0; i < stream.size(); i += step) r.feed(std::string_view(stream).substr(i, step));
    EXPECT_EQ(r.got(), (std::vector<std::string>{"before", "after", "and more"})) << step;
    EXPECT_EQ(r.stats[DecodeCounter::ws_message_too_big], 1u) << step;
    EXPECT_EQ(r.stats[DecodeCounter::ws_oversized_frame], 1u) << step;
    EXPECT_EQ(r.stats[DecodeCounter::ws_oversized_frame_bytes], big.size()) << step;
    EXPECT_EQ(r.framer.message_capacity(), 256u) << step;
  }
  // Split inside the oversized frame's header too.
  FramerRun bytewise(FramerOptions{.max_message_bytes = 100, .initial_message_bytes = 16});
  const std::string small = frame("a") + frame(std::string(70000, 'y')) + frame("b");
  for (char c : small) bytewise.feed(std::string_view(&c, 1));
  EXPECT_EQ(bytewise.got(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(bytewise.stats[DecodeCounter::ws_oversized_frame_bytes], 70000u);
}

TEST(WebSocketFramer, OversizedFragmentDropsOnlyItsMessage) {
  // The second fragment's header takes the message over the limit: that message is dropped (its
  // later fragments are skipped too), control frames between the fragments still count, and the
  // next message is delivered.
  FramerRun r(FramerOptions{.max_message_bytes = 100, .initial_message_bytes = 16});
  r.feed(frame(std::string(80, 'a'), {.fin = false}));
  r.feed(frame("hb", {.opcode = kPing}));
  r.feed(frame(std::string(30, 'b'), {.fin = false, .opcode = kCont}));  // 110 > 100: dropped here
  r.feed(frame("hb", {.opcode = kPing}));
  r.feed(frame(std::string(5, 'c'), {.opcode = kCont}));
  r.feed(frame("next"));
  EXPECT_EQ(r.got(), std::vector<std::string>{"next"});
  EXPECT_EQ(r.stats[DecodeCounter::ws_message_too_big], 1u);
  EXPECT_EQ(r.stats[DecodeCounter::ws_oversized_frame], 1u);
  EXPECT_EQ(r.stats[DecodeCounter::ws_oversized_frame_bytes], 30u);
  EXPECT_EQ(r.stats[DecodeCounter::ws_control_frame], 2u);
  EXPECT_FALSE(r.framer.failed());
}

TEST(WebSocketFramer, TooBigCompressedMessageWithoutContextTakeoverIsSkipped) {
  // Compressed messages are judged by their inflated size (the compressed length bounds nothing);
  // once over, the rest of the message is skipped by its frames' declared lengths and the next
  // message (a fresh deflate stream) is delivered.
  Deflater d;
  std::string big;
  for (int i = 0; i < 4000; ++i) big += std::to_string(i * 7919 % 10007) + ",";
  const std::string z = d.compress(big, true);
  std::string stream = frame(d.compress("first", true), {.rsv1 = true});
  stream += frame(z.substr(0, z.size() / 2), {.fin = false, .rsv1 = true});
  stream += frame(z.substr(z.size() / 2), {.opcode = kCont});
  stream += frame(d.compress("second", true), {.rsv1 = true});
  FramerRun r(FramerOptions{.max_message_bytes = 1024, .initial_message_bytes = 256},
              DeflateParams{.enabled = true, .no_context_takeover = true});
  r.feed(stream);
  EXPECT_EQ(r.got(), (std::vector<std::string>{"first", "second"}));
  EXPECT_EQ(r.stats[DecodeCounter::ws_message_too_big], 1u);
  EXPECT_EQ(r.stats[DecodeCounter::ws_oversized_frame], 0u);
  EXPECT_EQ(r.stats[DecodeCounter::ws_inflate_error], 0u);
}

TEST(WebSocketFramer, FinishCountsAMessageLeftUnfinished) {
  struct Case {
    const char* what;
    std::string bytes;  // after two whole messages
    uint64_t truncated;
  };
  const std::string data = frame(std::string(200, 'd'), {.opcode = kBinary});  // a 16-bit length
  const std::vector<Case> cases = {
      {"clean end", "", 0},
      {"inside a data frame's payload", data.substr(0, 100), 1},
      {"inside a data frame's 16-bit length", data.substr(0, 3), 1},
      {"after a data frame's first byte", data.substr(0, 1), 1},
      {"between fragments", frame("frag", {.fin = false}), 1},
      {"in a ping between fragments", frame("frag", {.fin = false}) + frame("ping", {.opcode = kPing}).substr(0, 3), 1},
      {"in a control frame's payload", frame("ping me", {.opcode = kPing}).substr(0, 4), 0},
      {"in a control frame's header", frame("bye", {.opcode = kClose}).substr(0, 1), 0},
      {"inside an oversized frame (counted as too big)", frame(std::string(300, 'o')).substr(0, 50), 0},
  };
  for (const Case& c : cases) {
    FramerRun r(FramerOptions{.max_message_bytes = 250, .initial_message_bytes = 16});
    r.feed(frame("one") + frame("two") + c.bytes);
    r.framer.finish();
    EXPECT_EQ(r.got(), (std::vector<std::string>{"one", "two"})) << c.what;
    EXPECT_EQ(r.stats[DecodeCounter::ws_truncated_at_end], c.truncated) << c.what;
    EXPECT_TRUE(r.framer.ended()) << c.what;
    // Ended: a second end counts nothing, later bytes are ignored.
    r.framer.finish();
    r.feed(frame("late"));
    EXPECT_EQ(r.stats[DecodeCounter::ws_truncated_at_end], c.truncated) << c.what;
    EXPECT_EQ(r.got().size(), 2u) << c.what;
    // A new stream starts clean.
    r.framer.reset();
    r.feed(frame("again"));
    EXPECT_EQ(r.got().back(), "again") << c.what;
  }
  // A compressed message cut off counts the same.
  Deflater d;
  FramerRun z({}, DeflateParams{.enabled = true});
  const std::string f = frame(d.compress(std::string(500, 'q')), {.rsv1 = true});
  z.feed(std::string_view(f).substr(0, f.size() - 2));
  z.framer.finish();
  EXPECT_EQ(z.stats[DecodeCounter::ws_truncated_at_end], 1u);
  // The client side delivers nothing, so loses nothing.
  DecodeStats st{};
  WebSocketFramer client(FramerOptions{.deliver = false}, &st);
  client.reset();
  const std::string cut = frame("subscribe", {.masked = true}).substr(0, 5);
  client.feed(reinterpret_cast<const uint8_t*>(cut.data()), cut.size(), 0,
              MessageFn{nullptr, [](void*, const Message&) noexcept {}});
  client.finish();
  EXPECT_EQ(st[DecodeCounter::ws_truncated_at_end], 0u);
}

TEST(WebSocketFramer, InflateErrors) {
  const std::string garbage("\xff\xff\xff\xff\xff\xff", 6);  // invalid block type
  {
    FramerRun r({}, DeflateParams{.enabled = true});  // context takeover: nothing after can be trusted
    r.feed(frame(garbage, {.rsv1 = true}));
    Deflater d;
    r.feed(frame(d.compress("later"), {.rsv1 = true}));
    EXPECT_TRUE(r.got().empty());
    EXPECT_EQ(r.stats[DecodeCounter::ws_inflate_error], 1u);
    EXPECT_TRUE(r.framer.failed());
  }
  {
    FramerRun r({}, DeflateParams{.enabled = true, .no_context_takeover = true});  // the next message is independent
    r.feed(frame(garbage, {.rsv1 = true}));
    Deflater d;
    r.feed(frame(d.compress("later", true), {.rsv1 = true}));
    EXPECT_EQ(r.got(), std::vector<std::string>{"later"});
    EXPECT_EQ(r.stats[DecodeCounter::ws_inflate_error], 1u);
  }
}

TEST(WebSocketFramer, ProtocolErrorsStopTheDirection) {
  struct Case {
    const char* what;
    std::string bytes;
  };
  const std::vector<Case> cases = {
      {"reserved opcode 3", frame("x", {.opcode = 3})},
      {"reserved control opcode 11", frame("x", {.opcode = 11})},
      {"RSV2", frame("x", {.extra_bits = 0x20})},
      {"RSV3", frame("x", {.extra_bits = 0x10})},
      {"RSV1 without permessage-deflate", frame("x", {.rsv1 = true})},
      {"control frame over 125 bytes", frame(std::string(126, 'p'), {.opcode = kPing})},
      {"fragmented control frame", frame("p", {.fin = false, .opcode = kPing})},
      {"continuation without a message", frame("x", {.opcode = kCont})},
      {"new message inside a fragmented one", frame("a", {.fin = false}) + frame("b")},
      {"64-bit length with the top bit set", std::string("\x82\x7f\x80\0\0\0\0\0\0\x01", 10)},
  };
  for (const Case& c : cases) {
    FramerRun r;
    r.feed(c.bytes + frame("never delivered"));
    EXPECT_TRUE(r.got().empty()) << c.what;
    EXPECT_EQ(r.stats[DecodeCounter::ws_protocol_error], 1u) << c.what;
    EXPECT_TRUE(r.framer.failed()) << c.what;
  }
}

TEST(WebSocketFramer, NothingAfterClose) {
  FramerRun r;
  r.feed(frame("before") + frame("\x03\xe8", {.opcode = kClose}) + frame("after"));
  EXPECT_EQ(r.got(), std::vector<std::string>{"before"});
  EXPECT_TRUE(r.framer.closed());
}

TEST(WebSocketFramer, ClientSideCountsWithoutDelivering) {
  DecodeStats st{};
  WebSocketFramer client(FramerOptions{.deliver = false}, &st);
  client.reset(DeflateParams{.enabled = true});
  const std::string bytes = frame("sub", {.masked = true}) + frame("zz", {.rsv1 = true, .masked = true}) +
                            frame("", {.opcode = kPing, .masked = true});
  int delivered = 0;
  client.feed(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), 0,
              MessageFn{&delivered, [](void* c, const Message&) noexcept { ++*static_cast<int*>(c); }});
  EXPECT_EQ(delivered, 0);
  EXPECT_EQ(st[DecodeCounter::ws_client_message], 2u);
  EXPECT_EQ(st[DecodeCounter::ws_control_frame], 1u);
}

TEST(WebSocketFramer, MessageBufferGrowsAndKeepsPadding) {
  FramerRun r(FramerOptions{.max_message_bytes = 1 << 20, .initial_message_bytes = 256});
  const std::string big(300000, 'G');
  r.feed(frame(big, {.opcode = kBinary}));
  ASSERT_EQ(r.got(), std::vector<std::string>{big});  // the sink read 64 bytes past the end
  EXPECT_GE(r.framer.message_capacity(), big.size());
}

}  // namespace
}  // namespace tp::feed
