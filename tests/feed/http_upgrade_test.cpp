// The HTTP/1.1 upgrade handshake: head collection across segment boundaries, 101 detection and
// Sec-WebSocket-Extensions parsing (RFC 7692 §7.1).
#include "feed/http_upgrade.hpp"

#include <gtest/gtest.h>

#include <string>

namespace tp::feed {
namespace {

HttpHeadCollector::State collect(HttpHeadCollector& c, std::string_view bytes, std::size_t* used = nullptr) {
  const std::size_t n = c.feed(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  if (used != nullptr) *used = n;
  return c.state();
}

TEST(HttpUpgrade, CollectsAHeadSplitAnywhereAndStopsAtTheBlankLine) {
  const std::string head = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n";
  const std::string after = "\x81\x02hi";
  const std::string all = head + after;
  for (std::size_t cut = 0; cut <= all.size(); ++cut) {
    HttpHeadCollector c;
    std::size_t used1 = 0, used2 = 0;
    collect(c, std::string_view(all).substr(0, cut), &used1);
    if (c.state() == HttpHeadCollector::State::Collecting) collect(c, std::string_view(all).substr(cut), &used2);
    ASSERT_EQ(c.state(), HttpHeadCollector::State::Complete) << cut;
    EXPECT_EQ(c.head(), head) << cut;
    EXPECT_EQ(used1 + used2, head.size()) << cut;  // the frame bytes are left for the framer
  }
}

TEST(HttpUpgrade, NonHttpIsRecognisedAtOnce) {
  HttpHeadCollector fix;
  EXPECT_EQ(collect(fix, "8=FIX.4.4\x01"), HttpHeadCollector::State::NotHttp);
  HttpHeadCollector tls;
  EXPECT_EQ(collect(tls, "\x16\x03\x01"), HttpHeadCollector::State::NotHttp);
  HttpHeadCollector post;
  EXPECT_EQ(collect(post, "POST / HTTP/1.1\r\n"), HttpHeadCollector::State::NotHttp);  // upgrades are GETs
  HttpHeadCollector partial;
  EXPECT_EQ(collect(partial, "HT"), HttpHeadCollector::State::Collecting);
  EXPECT_EQ(collect(partial, "TP/1.1 200 OK\r\n"), HttpHeadCollector::State::Collecting);
}

TEST(HttpUpgrade, OverlongHeadIsNotHttp) {
  HttpHeadCollector c(128);
  EXPECT_EQ(collect(c, "GET / HTTP/1.1\r\nCookie: " + std::string(200, 'c')), HttpHeadCollector::State::NotHttp);
  c.reset();
  EXPECT_EQ(collect(c, "GET / HTTP/1.1\r\n\r\n"), HttpHeadCollector::State::Complete);
}

TEST(HttpUpgrade, ClassifiesHeads) {
  EXPECT_EQ(parse_http_head("GET /stream HTTP/1.1\r\nUpgrade: websocket\r\n\r\n").kind, HttpHeadKind::Request);
  EXPECT_EQ(parse_http_head("HTTP/1.1 101 Switching Protocols\r\nupgrade: WebSocket\r\nConnection: Upgrade\r\n\r\n").kind,
            HttpHeadKind::SwitchingProtocols);
  EXPECT_EQ(parse_http_head("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n").kind, HttpHeadKind::OtherResponse);
  EXPECT_EQ(parse_http_head("HTTP/1.1 1010 Nope\r\nUpgrade: websocket\r\n\r\n").kind, HttpHeadKind::OtherResponse);
  EXPECT_EQ(parse_http_head("HTTP/1.1 400 Bad Request\r\nUpgrade: websocket\r\n\r\n").kind, HttpHeadKind::OtherResponse);
  EXPECT_EQ(parse_http_head("HTTP/1.1 426 Upgrade Required\r\n\r\n").kind, HttpHeadKind::OtherResponse);
  EXPECT_EQ(parse_http_head("garbage\r\n\r\n").kind, HttpHeadKind::Invalid);
  // Upgrade may list several protocols.
  EXPECT_EQ(parse_http_head("HTTP/1.1 101 OK\r\nUpgrade: foo, websocket\r\n\r\n").kind, HttpHeadKind::SwitchingProtocols);
}

TEST(HttpUpgrade, PermessageDeflateParameters) {
  const HttpHead h = parse_http_head(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
      "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_max_window_bits=10;"
      " server_max_window_bits=\"12\"\r\n\r\n");
  ASSERT_EQ(h.kind, HttpHeadKind::SwitchingProtocols);
  ASSERT_TRUE(h.extensions_ok);
  EXPECT_TRUE(h.extensions.deflate);
  EXPECT_TRUE(h.extensions.server_no_context_takeover);
  EXPECT_FALSE(h.extensions.client_no_context_takeover);
  EXPECT_EQ(h.extensions.server_max_window_bits, 12);
  EXPECT_EQ(h.extensions.client_max_window_bits, 10);

  const HttpHead none = parse_http_head("HTTP/1.1 101 OK\r\nUpgrade: websocket\r\n\r\n");
  EXPECT_FALSE(none.extensions.deflate);
  EXPECT_EQ(none.extensions.server_max_window_bits, 15);
}

TEST(HttpUpgrade, ExtensionValues) {
  WsExtensions e;
  EXPECT_TRUE(parse_ws_extensions("x-webkit-deflate-frame, permessage-deflate; client_no_context_takeover", e));
  EXPECT_TRUE(e.deflate);
  EXPECT_TRUE(e.client_no_context_takeover);
  WsExtensions first;
  EXPECT_TRUE(parse_ws_extensions("permessage-deflate; server_max_window_bits=9, permessage-deflate", first));
  EXPECT_EQ(first.server_max_window_bits, 9);  // only the first permessage-deflate counts
  for (const char* bad : {"permessage-deflate; server_max_window_bits=16", "permessage-deflate; server_max_window_bits=7",
                          "permessage-deflate; server_max_window_bits", "permessage-deflate; nonsense",
                          "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
                          "permessage-deflate; server_no_context_takeover=1"}) {
    WsExtensions x;
    EXPECT_FALSE(parse_ws_extensions(bad, x)) << bad;
  }
  const HttpHead h = parse_http_head(
      "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nSec-WebSocket-Extensions: permessage-deflate; bogus\r\n\r\n");
  EXPECT_FALSE(h.extensions_ok);
}

}  // namespace
}  // namespace tp::feed
