// HttpResponseReader: one HTTP/1.1 response from chunks of any size - Content-Length, chunked,
// close-delimited bodies - with its bounds and its errors (the REST depth snapshot's client).
#include "feed/live/http_response_reader.hpp"

#include <gtest/gtest.h>

#include <string>

#include "feed/http_upgrade.hpp"

namespace tp::feed {
namespace {

void feed(HttpResponseReader& r, std::string_view bytes) {
  r.feed(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

// The padding after a finished body is there and zeroed (simdjson parses in place).
bool padded(const HttpResponseReader& r) {
  for (std::size_t i = 0; i < HttpResponseReader::kBodyPadding; ++i)
    if (r.body_data()[r.body_size() + i] != 0) return false;
  return true;
}

const std::string kLengthResponse =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"a\":[1,2,3]}";
const std::string kChunkedResponse =
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    "5;name=value\r\n{\"a\":\r\n"
    "8 ; other\r\n[1,2,3]}\r\n"
    "0\r\nX-Trailer: one\r\nY: two\r\n\r\n";

TEST(HttpResponseReader, ContentLengthBody) {
  HttpResponseReader r(1024);
  feed(r, kLengthResponse + "ignored after the response");
  ASSERT_TRUE(r.done()) << r.error();
  EXPECT_EQ(r.status(), 200);
  EXPECT_EQ(r.body(), "{\"a\":[1,2,3]}");
  EXPECT_EQ(r.retry_after_s(), -1);
  EXPECT_TRUE(padded(r));
}

TEST(HttpResponseReader, ChunkedBodyWithExtensionsAndTrailers) {
  HttpResponseReader r(1024);
  feed(r, kChunkedResponse);
  ASSERT_TRUE(r.done()) << r.error();
  EXPECT_EQ(r.body(), "{\"a\":[1,2,3]}");
  EXPECT_TRUE(padded(r));
}

TEST(HttpResponseReader, BodyUntilCloseWhenNoLengthIsGiven) {
  HttpResponseReader r(1024);
  feed(r, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nabc");
  feed(r, "def");
  EXPECT_EQ(r.state(), HttpResponseReader::State::Body);
  r.finish();
  ASSERT_TRUE(r.done()) << r.error();
  EXPECT_EQ(r.body(), "abcdef");
  EXPECT_TRUE(padded(r));
}

TEST(HttpResponseReader, EverySplitPointGivesTheSameResult) {
  for (const std::string& all : {kLengthResponse, kChunkedResponse}) {
    for (std::size_t cut = 0; cut <= all.size(); ++cut) {
      HttpResponseReader r(1024);
      feed(r, std::string_view(all).substr(0, cut));
      feed(r, std::string_view(all).substr(cut));
      ASSERT_TRUE(r.done()) << cut << ": " << r.error();
      EXPECT_EQ(r.body(), "{\"a\":[1,2,3]}") << cut;
    }
    // And byte by byte.
    HttpResponseReader r(1024);
    for (const char c : all) feed(r, std::string_view(&c, 1));
    ASSERT_TRUE(r.done()) << r.error();
    EXPECT_EQ(r.body(), "{\"a\":[1,2,3]}");
  }
}

TEST(HttpResponseReader, ResetReusesTheReaderForTheNextResponse) {
  HttpResponseReader r(1024);
  feed(r, kChunkedResponse);
  ASSERT_TRUE(r.done());
  r.reset();
  feed(r, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  ASSERT_TRUE(r.done()) << r.error();
  EXPECT_EQ(r.body(), "ok");
  EXPECT_TRUE(padded(r));
}

TEST(HttpResponseReader, TooLargeBodiesAreErrors) {
  {
    HttpResponseReader r(10);
    feed(r, "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n");
    ASSERT_TRUE(r.failed());
    EXPECT_NE(r.error().find("larger than the limit of 10 bytes"), std::string::npos) << r.error();
  }
  {
    HttpResponseReader r(10);
    feed(r, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n6\r\n");
    ASSERT_TRUE(r.failed());
    EXPECT_NE(r.error().find("larger than the limit"), std::string::npos) << r.error();
  }
  {
    HttpResponseReader r(10);
    feed(r, "HTTP/1.1 200 OK\r\n\r\n0123456789");
    EXPECT_FALSE(r.failed());
    feed(r, "x");
    ASSERT_TRUE(r.failed());
  }
  {
    HttpResponseReader r(1u << 20);
    feed(r, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\n");
    ASSERT_TRUE(r.failed());
    EXPECT_NE(r.error().find("too many digits"), std::string::npos) << r.error();
  }
}

TEST(HttpResponseReader, BadChunkSizeIsAnError) {
  for (const char* bad : {"zz\r\n", "\r\n", ";ext\r\n", "5\rx"}) {
    HttpResponseReader r(1024);
    feed(r, std::string("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n") + bad);
    ASSERT_TRUE(r.failed()) << bad;
    EXPECT_NE(r.error().find("chunk"), std::string::npos) << r.error();
  }
  HttpResponseReader r(1024);
  feed(r, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n");  // longer than its size
  ASSERT_TRUE(r.failed());
  EXPECT_NE(r.error().find("longer than its size"), std::string::npos) << r.error();
}

TEST(HttpResponseReader, BadStatusLinesAndGarbageAreErrors) {
  for (const char* bad : {"HTTP/1.1 2000 OK\r\n\r\n", "HTTP/1.1 OK\r\n\r\n", "HTTP/2 200\r\n\r\n",
                          "GET / HTTP/1.1\r\n\r\n"}) {
    HttpResponseReader r(1024);
    feed(r, bad);
    ASSERT_TRUE(r.failed()) << bad;
    EXPECT_NE(r.error().find("status line"), std::string::npos) << r.error();
  }
  HttpResponseReader garbage(1024);
  feed(garbage, "\x16\x03\x01 this is not HTTP\r\n\r\n");
  ASSERT_TRUE(garbage.failed());
  EXPECT_EQ(garbage.error(), "the answer is not an HTTP response");
  HttpResponseReader bad_length(1024);
  feed(bad_length, "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n");
  ASSERT_TRUE(bad_length.failed());
  EXPECT_NE(bad_length.error().find("Content-Length"), std::string::npos);
}

TEST(HttpResponseReader, CompressedBodiesAndOtherTransferCodingsAreRefused) {
  HttpResponseReader gzip(1024);
  feed(gzip, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 3\r\n\r\nabc");
  ASSERT_TRUE(gzip.failed());
  EXPECT_NE(gzip.error().find("Content-Encoding 'gzip'"), std::string::npos) << gzip.error();
  HttpResponseReader identity(1024);
  feed(identity, "HTTP/1.1 200 OK\r\nContent-Encoding: identity\r\nContent-Length: 3\r\n\r\nabc");
  EXPECT_TRUE(identity.done()) << identity.error();
  HttpResponseReader te(1024);
  feed(te, "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n");
  ASSERT_TRUE(te.failed());
  EXPECT_NE(te.error().find("only chunked"), std::string::npos) << te.error();
}

TEST(HttpResponseReader, TruncatedAtCloseIsAnError) {
  HttpResponseReader length(1024);
  feed(length, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
  length.finish();
  ASSERT_TRUE(length.failed());
  EXPECT_EQ(length.error(), "the connection closed after 3 of 10 body bytes");
  HttpResponseReader chunked(1024);
  feed(chunked, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n");
  chunked.finish();
  ASSERT_TRUE(chunked.failed());
  EXPECT_NE(chunked.error().find("middle of the chunked body"), std::string::npos);
  HttpResponseReader head(1024);
  feed(head, "HTTP/1.1 200 OK\r\nContent-");
  head.finish();
  ASSERT_TRUE(head.failed());
  EXPECT_EQ(head.error(), "the connection closed in the middle of the response head");
  HttpResponseReader nothing(1024);
  nothing.finish();
  ASSERT_TRUE(nothing.failed());
  EXPECT_EQ(nothing.error(), "the connection closed without an answer");
}

TEST(HttpResponseReader, StatusAndRetryAfterOfAnErrorAnswer) {
  HttpResponseReader r(1024);
  feed(r, "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\nContent-Length: 2\r\n\r\n{}");
  ASSERT_TRUE(r.done()) << r.error();
  EXPECT_EQ(r.status(), 429);
  EXPECT_EQ(r.retry_after_s(), 7);
  HttpResponseReader interim(1024);  // a 100 Continue before the real answer is skipped
  feed(interim, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n");
  ASSERT_TRUE(interim.done()) << interim.error();
  EXPECT_EQ(interim.status(), 204);
  EXPECT_EQ(interim.body_size(), 0u);
  EXPECT_TRUE(padded(interim));
}

TEST(HttpHeadFields, StatusCodeAndHeaderValue) {
  EXPECT_EQ(http_status_code("HTTP/1.1 200 OK\r\n\r\n"), 200);
  EXPECT_EQ(http_status_code("HTTP/1.0 404\r\n\r\n"), 404);
  EXPECT_EQ(http_status_code("HTTP/1.1 20 OK\r\n\r\n"), -1);
  EXPECT_EQ(http_status_code("GET / HTTP/1.1\r\n\r\n"), -1);
  std::string_view v;
  ASSERT_TRUE(http_header_value("HTTP/1.1 200 OK\r\nX-A: 1\r\ncontent-LENGTH:  42 \r\n\r\n", "Content-Length", v));
  EXPECT_EQ(v, "42");
  EXPECT_FALSE(http_header_value("HTTP/1.1 200 OK\r\n\r\nContent-Length: 1\r\n", "Content-Length", v));
}

}  // namespace
}  // namespace tp::feed
