// The client side of the WebSocket handshake (issue 10): the request we send, the checks on the
// server's answer, our masked frames (decoded back by the very framer replay uses), the control
// frame sink a live connection answers pings with, and the subscribe requests (SPEC §10.1).
#include "feed/live/websocket_handshake.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "feed/live/subscribe_request.hpp"
#include "feed/websocket_framer.hpp"

namespace tp::feed {
namespace {

const uint8_t kNonce[16] = {'t', 'h', 'e', ' ', 's', 'a', 'm', 'p', 'l', 'e', ' ', 'n', 'o', 'n', 'c', 'e'};

WsUrl url(const char* text) {
  std::string why;
  auto u = parse_ws_url(text, why);
  EXPECT_TRUE(u.has_value()) << why;
  return u.value_or(WsUrl{});
}

TEST(WebSocketHandshake, RequestCarriesTheKeyHostAndOffer) {
  const ClientHandshake h = make_client_handshake(url("wss://stream.binance.com:9443/stream?x=1"), true, kNonce);
  EXPECT_EQ(h.key, "dGhlIHNhbXBsZSBub25jZQ==");  // RFC 6455 §1.3's example nonce
  EXPECT_EQ(h.request.rfind("GET /stream?x=1 HTTP/1.1\r\n", 0), 0u) << h.request;
  EXPECT_NE(h.request.find("\r\nHost: stream.binance.com:9443\r\n"), std::string::npos);
  EXPECT_NE(h.request.find("\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"), std::string::npos);
  EXPECT_NE(h.request.find("\r\nSec-WebSocket-Version: 13\r\n"), std::string::npos);
  EXPECT_NE(h.request.find("permessage-deflate"), std::string::npos);
  EXPECT_EQ(h.request.substr(h.request.size() - 4), "\r\n\r\n");
  const ClientHandshake plain = make_client_handshake(url("ws://127.0.0.1/"), false, kNonce);
  EXPECT_EQ(plain.request.find("permessage-deflate"), std::string::npos);
  EXPECT_NE(plain.request.find("\r\nHost: 127.0.0.1\r\n"), std::string::npos) << "default port not named";
}

TEST(WebSocketHandshake, AcceptIsTheRfcExample) {
  EXPECT_EQ(websocket_accept("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

std::string response(const std::string& extra, const std::string& accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") {
  return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
         accept + "\r\n" + extra + "\r\n";
}

TEST(WebSocketHandshake, ServerAnswersAreChecked) {
  const std::string key = "dGhlIHNhbXBsZSBub25jZQ==";
  EXPECT_TRUE(check_server_handshake(response(""), key, false).ok);
  const auto deflate = check_server_handshake(
      response("Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n"), key, true);
  ASSERT_TRUE(deflate.ok) << deflate.error;
  EXPECT_TRUE(deflate.extensions.deflate);
  EXPECT_TRUE(deflate.extensions.server_no_context_takeover);

  const auto wrong_accept = check_server_handshake(response("", "AAAAAAAAAAAAAAAAAAAAAAAAAAA="), key, false);
  EXPECT_FALSE(wrong_accept.ok);
  EXPECT_NE(wrong_accept.error.find("Sec-WebSocket-Accept"), std::string::npos);
  const auto unoffered =
      check_server_handshake(response("Sec-WebSocket-Extensions: permessage-deflate\r\n"), key, false);
  EXPECT_FALSE(unoffered.ok);
  const auto refused = check_server_handshake("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n", key, false);
  EXPECT_FALSE(refused.ok);
  EXPECT_EQ(refused.status, 503);
  EXPECT_NE(refused.error.find("503 Service Unavailable"), std::string::npos);
  EXPECT_FALSE(check_server_handshake("SSH-2.0-OpenSSH\r\n\r\n", key, false).ok);
  EXPECT_FALSE(check_server_handshake("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n",
                                      key, false)
                   .ok);
}

struct Collected {
  std::vector<std::string> messages;
  std::vector<std::pair<uint8_t, std::string>> controls;
};

void on_message(void* ctx, const Message& m) noexcept {
  static_cast<Collected*>(ctx)->messages.emplace_back(m.data, m.size);
}
void on_control(void* ctx, uint8_t op, const uint8_t* p, std::size_t n) noexcept {
  static_cast<Collected*>(ctx)->controls.emplace_back(op, std::string(reinterpret_cast<const char*>(p), n));
}

TEST(WebSocketHandshake, OurMaskedFramesDecodeWithTheReplayFramer) {
  DecodeStats stats;
  WebSocketFramer framer(FramerOptions{}, &stats);
  Collected got;
  framer.set_control_sink(ControlFn{&got, &on_control});
  const uint8_t mask[4] = {0x37, 0xfa, 0x21, 0x3d};
  std::vector<uint8_t> wire;
  auto add = [&](uint8_t op, const std::string& payload) {
    std::vector<uint8_t> f(client_frame_size(payload.size()));
    const std::size_t n =
        encode_client_frame(op, reinterpret_cast<const uint8_t*>(payload.data()), payload.size(), mask, f.data());
    EXPECT_EQ(n, f.size());
    EXPECT_NE(f[1] & 0x80, 0) << "client frames are masked";
    wire.insert(wire.end(), f.begin(), f.end());
  };
  const std::string big(70000, 'x');
  add(kWsText, R"({"method":"SUBSCRIBE","params":["btcusdt@bookTicker"],"id":1})");
  add(kWsPing, "ping-payload");
  add(kWsText, std::string(300, 'y'));
  add(kWsText, big);
  add(kWsClose, std::string("\x03\xe8", 2));
  framer.feed(wire.data(), wire.size(), 1, MessageFn{&got, &on_message});
  ASSERT_EQ(got.messages.size(), 3u);
  EXPECT_EQ(got.messages[0], R"({"method":"SUBSCRIBE","params":["btcusdt@bookTicker"],"id":1})");
  EXPECT_EQ(got.messages[1], std::string(300, 'y'));
  EXPECT_EQ(got.messages[2], big);
  ASSERT_EQ(got.controls.size(), 2u);
  EXPECT_EQ(got.controls[0], std::make_pair(kWsPing, std::string("ping-payload")));
  EXPECT_EQ(got.controls[1], std::make_pair(kWsClose, std::string("\x03\xe8", 2)));
  EXPECT_TRUE(framer.closed());
}

TEST(SubscribeRequest, BinanceAndCoinbaseAsTheSpecSays) {
  const auto params = binance_stream_names({"BTCUSDT", "ETHUSDT"}, {"bookTicker", "trade"});
  ASSERT_EQ(params.size(), 4u);
  EXPECT_EQ(params[0], "btcusdt@bookTicker");
  EXPECT_EQ(params[3], "ethusdt@trade");
  EXPECT_EQ(binance_subscribe({params[0], params[1]}, 1),
            R"({"method":"SUBSCRIBE","params":["btcusdt@bookTicker","btcusdt@trade"],"id":1})");
  EXPECT_EQ(coinbase_subscribe({"BTC-USD"}, {"ticker", "matches", "heartbeat"}),
            R"({"type":"subscribe","product_ids":["BTC-USD"],"channels":["ticker","matches","heartbeat"]})");
  EXPECT_EQ(coinbase_subscribe({"A\"B"}, {"ticker"}), R"({"type":"subscribe","product_ids":["A\"B"],"channels":["ticker"]})");
}

// SPEC 10.7: at most 1024 streams on one connection; more are spread over as few connections as
// hold them, a symbol's streams together, the shares near-equal.
TEST(SubscribeRequest, BinanceStreamsAreSpreadOverConnectionsOfAtMost1024) {
  auto symbols = [](std::size_t n) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < n; ++i) {
      std::string name = "S";
      name.append(std::to_string(i));
      out.push_back(name);
    }
    return out;
  };
  EXPECT_TRUE(binance_streams_per_connection({}, {"trade"}).empty());
  const auto one = binance_streams_per_connection(symbols(512), {"bookTicker", "trade"});
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].size(), 1024u);
  const auto two = binance_streams_per_connection(symbols(513), {"bookTicker", "trade"});
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0].size(), 514u);  // 257 symbols
  EXPECT_EQ(two[1].size(), 512u);  // 256 symbols
  EXPECT_EQ(two[0][512], "s256@bookTicker");
  EXPECT_EQ(two[1][0], "s257@bookTicker");
  EXPECT_EQ(two[1][1], "s257@trade");
  // The config's largest: 4096 symbols x 5 streams; 204 whole symbols fit one connection: 21.
  const auto most = binance_streams_per_connection(symbols(4096), {"bookTicker", "trade", "aggTrade", "depth", "depth@100ms"});
  ASSERT_EQ(most.size(), 21u);
  std::size_t total = 0;
  for (const auto& c : most) {
    EXPECT_LE(c.size(), 1024u);
    EXPECT_EQ(c.size() % 5, 0u);
    total += c.size();
  }
  EXPECT_EQ(total, 20480u);
  // A small per-connection limit: every stream appears once, in config order.
  const auto small = binance_streams_per_connection(symbols(7), {"trade"}, 3);
  ASSERT_EQ(small.size(), 3u);
  std::vector<std::string> flat;
  for (const auto& c : small) flat.insert(flat.end(), c.begin(), c.end());
  EXPECT_EQ(flat, binance_stream_names(symbols(7), {"trade"}));
}

TEST(WsUrl, ParsesWhatAVenueGivesAndRefusesTheRest) {
  std::string why;
  auto u = parse_ws_url("wss://stream.binance.com:9443/stream", why);
  ASSERT_TRUE(u);
  EXPECT_TRUE(u->tls);
  EXPECT_EQ(u->host, "stream.binance.com");
  EXPECT_EQ(u->port, 9443);
  EXPECT_EQ(u->target, "/stream");
  u = parse_ws_url("wss://ws-feed.exchange.coinbase.com", why);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->port, 443);
  EXPECT_EQ(u->target, "/");
  u = parse_ws_url("ws://[::1]:8080?a=b", why);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->target, "/?a=b");
  EXPECT_EQ(u->host_header(), "[::1]:8080");
  for (const char* bad : {"http://x", "ws://", "ws://:80", "ws://h:0", "ws://h:65536", "ws://h:x", "ws://u@h",
                          "ws://h/#f", "ws://h/ a", "wss://[::1"}) {
    EXPECT_FALSE(parse_ws_url(bad, why)) << bad;
    EXPECT_FALSE(why.empty()) << bad;
  }
}

}  // namespace
}  // namespace tp::feed
