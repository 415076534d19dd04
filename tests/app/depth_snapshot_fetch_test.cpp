// DepthSnapshotFetcher against a real HTTPS server (tests/peers/ws_market_server.js --tls
// --rest-depth): every REST fault ends with the whole snapshot body on the feed thread's side, a
// 429's Retry-After is honoured, a certificate that does not verify and a refused port give clear
// errors and no body, and the destructor does not wait for a stalled fetch.
#include "feed/live/depth_snapshot_fetcher.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "../peers/ws_market_server.hpp"
#include "cli_runner.hpp"
#include "core/timing/wall_clock.hpp"
#include "feed/live/tls_socket.hpp"

namespace tp::feed {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using tp::testing::TempDir;
using tp::testing::WsMarketServer;

const std::string kSnapshotFile = std::string(TP_TEST_DATA_DIR) + "/binance/spot_btcusdt_20240808_snapshot.json";

std::string file_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

// What the feed thread gets: the venue's body with the symbol added as its first member.
std::string message_of(const std::string& symbol) {
  return "{\"s\":\"" + symbol + "\"," + file_bytes(kSnapshotFile).substr(1);
}

// Short waits so that every retry happens within a test's few seconds.
DepthSnapshotFetcherOptions fast_options(const std::string& url_template) {
  DepthSnapshotFetcherOptions o;
  o.url_template = url_template;
  o.timeout_ms = 3000;
  o.min_interval_ms = 50;
  o.retry_min_ms = 100;
  o.retry_max_ms = 400;
  return o;
}

// What the feed thread does: poll until a body comes (or `timeout` passes).
const DepthSnapshotBody* wait_for_body(DepthSnapshotFetcher& f, std::chrono::milliseconds timeout) {
  const auto end = Clock::now() + timeout;
  while (Clock::now() < end) {
    if (const DepthSnapshotBody* b = f.poll()) return b;
    std::this_thread::sleep_for(2ms);
  }
  return nullptr;
}

bool zero_padded(const DepthSnapshotBody& b) {
  for (std::size_t i = 0; i < DepthSnapshotBody::kPadding; ++i)
    if (b.data[b.len + i] != 0) return false;
  return true;
}

uint16_t port_of(const sockaddr_storage& a) {
  if (a.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(a).sin_port);
  if (a.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6&>(a).sin6_port);
  return 0;
}

// A venue with a REST depth endpoint over TLS (a self-signed certificate for 127.0.0.1 that the
// client trusts through its CA file).
struct RestVenue {
  explicit RestVenue(const std::string& fault, bool trusted_cert = true)
      : cert(trusted_cert ? tp::testing::make_localhost_cert(dir.path()) : tp::testing::make_wrong_host_cert(dir.path())),
        server({"--tls", cert.pem_pair(), "--rest-depth", kSnapshotFile, "--rest-fault", fault, "--max-seconds", "60"}),
        tls(std::make_unique<TlsClientContext>(cert.cert)) {}
  std::string url(const std::string& path) const {
    return "https://127.0.0.1:" + std::to_string(server.port()) + path;
  }
  TempDir dir;
  tp::testing::TlsCertFiles cert;
  WsMarketServer server;
  std::unique_ptr<TlsClientContext> tls;
};

const std::string kSpotPath = "/api/v3/depth?symbol={symbol}&limit=1000";

class RestFault : public ::testing::TestWithParam<std::string> {};

// Whatever the first answer was, the feed thread gets the whole file (with "s" added), once, and
// nothing else.
TEST_P(RestFault, EndsWithTheWholeSnapshotBody) {
  const std::string fault = GetParam();
  RestVenue venue(fault);
  DepthSnapshotFetcher f(fast_options(venue.url(kSpotPath)), venue.tls.get(), {"BTCUSDT", "ETHUSDT"});
  f.start();
  EXPECT_EQ(f.poll(), nullptr);
  const int64_t asked_ns = realtime_ns();
  f.request(0);
  f.request(0);  // already wanted: no-op
  const DepthSnapshotBody* b = wait_for_body(f, 10s);
  ASSERT_NE(b, nullptr) << fault << ": " << f.last_error() << "\n" << venue.server.stderr_text();
  EXPECT_EQ(b->symbol, 0);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(b->data), b->len), message_of("BTCUSDT"));
  EXPECT_TRUE(zero_padded(*b));
  EXPECT_GE(b->recv_ts_ns, asked_ns);
  EXPECT_LE(b->recv_ts_ns, realtime_ns());
  EXPECT_EQ(b->host, "127.0.0.1:" + std::to_string(venue.server.port()));
  EXPECT_EQ(b->target, "/api/v3/depth?symbol=BTCUSDT&limit=1000");
  EXPECT_EQ(port_of(b->remote), venue.server.port());
  EXPECT_NE(port_of(b->local), 0);
  EXPECT_EQ(f.poll(), b);  // the same one until release()
  f.request(0);            // ready: no-op
  f.release();
  EXPECT_EQ(f.poll(), nullptr);
  EXPECT_EQ(f.counters().requests, 1u);
  EXPECT_EQ(f.counters().fetches_ok, 1u);
  EXPECT_EQ(f.counters().last_http_status, 200u);
  const bool first_fails = fault != "none" && fault != "chunked" && fault != "slow";
  EXPECT_EQ(f.counters().fetch_failures, first_fails ? 1u : 0u) << f.last_error();
  EXPECT_EQ(venue.server.rest_requests(), first_fails ? 2 : 1);
  if (first_fails) {
    EXPECT_NE(f.last_error().find("the depth snapshot of BTCUSDT failed: "), std::string::npos) << f.last_error();
    EXPECT_NE(f.last_error().find("127.0.0.1:" + std::to_string(venue.server.port())), std::string::npos)
        << f.last_error();
  } else {
    EXPECT_EQ(f.last_error(), "");
  }
  EXPECT_NE(venue.server.stderr_text().find("\"accept_encoding\":\"identity\""), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(DepthSnapshotFetch, RestFault,
                         ::testing::Values("none", "chunked", "slow", "drop", "garbage", "500"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return "fault_" + p.param; });

TEST(DepthSnapshotFetch, FuturesPathAndASecondRequestAfterRelease) {
  RestVenue venue("none");
  DepthSnapshotFetcher f(fast_options(venue.url("/fapi/v1/depth?symbol={symbol}&limit=1000")), venue.tls.get(),
                         {"BTCUSDT", "ETHUSDT"});
  f.start();
  f.request(1);
  const DepthSnapshotBody* b = wait_for_body(f, 10s);
  ASSERT_NE(b, nullptr) << f.last_error();
  EXPECT_EQ(b->symbol, 1);
  EXPECT_EQ(b->target, "/fapi/v1/depth?symbol=ETHUSDT&limit=1000");
  f.release();
  f.request(1);  // released: a new fetch
  b = wait_for_body(f, 10s);
  ASSERT_NE(b, nullptr) << f.last_error();
  EXPECT_EQ(b->len, message_of("ETHUSDT").size());
  f.release();
  EXPECT_EQ(f.counters().requests, 2u);
  EXPECT_EQ(f.counters().fetches_ok, 2u);
  EXPECT_EQ(venue.server.rest_requests(), 2);
  f.request(999);  // not a symbol of this fetcher: ignored
  EXPECT_EQ(f.counters().requests, 2u);
}

TEST(DepthSnapshotFetch, TooManyRequestsIsRetriedAfterRetryAfter) {
  RestVenue venue("429");
  DepthSnapshotFetcher f(fast_options(venue.url(kSpotPath)), venue.tls.get(), {"BTCUSDT"});
  f.start();
  const auto asked = Clock::now();
  f.request(0);
  const DepthSnapshotBody* b = wait_for_body(f, 10s);
  ASSERT_NE(b, nullptr) << f.last_error();
  // Retry-After: 1 is longer than the backoff (100..400 ms): the retry waits for it.
  EXPECT_GE(Clock::now() - asked, 950ms);
  EXPECT_EQ(b->len, message_of("BTCUSDT").size());
  EXPECT_EQ(f.counters().fetch_failures, 1u);
  EXPECT_EQ(venue.server.rest_requests(), 2);
  EXPECT_NE(f.last_error().find("answered HTTP 429 (Retry-After 1 s)"), std::string::npos) << f.last_error();
  f.release();
}

TEST(DepthSnapshotFetch, AStalledAnswerTimesOutAndIsRetried) {
  RestVenue venue("stall");
  DepthSnapshotFetcherOptions o = fast_options(venue.url(kSpotPath));
  o.timeout_ms = 1000;
  DepthSnapshotFetcher f(o, venue.tls.get(), {"BTCUSDT"});
  f.start();
  f.request(0);
  const DepthSnapshotBody* b = wait_for_body(f, 8s);
  ASSERT_NE(b, nullptr) << f.last_error();
  EXPECT_EQ(b->len, message_of("BTCUSDT").size());
  EXPECT_EQ(f.counters().fetch_failures, 1u);
  EXPECT_NE(f.last_error().find("within 1000 ms"), std::string::npos) << f.last_error();
  f.release();
}

TEST(DepthSnapshotFetch, MissingSymbolParameterIsAClearError) {
  RestVenue venue("none");
  DepthSnapshotFetcher f(fast_options(venue.url("/api/v3/depth?limit=1000")), venue.tls.get(), {"BTCUSDT"});
  f.start();
  f.request(0);
  EXPECT_EQ(wait_for_body(f, 1s), nullptr);
  EXPECT_GE(f.counters().fetch_failures, 1u);
  EXPECT_EQ(f.counters().last_http_status, 400u);
  EXPECT_NE(f.last_error().find("answered HTTP 400: {\"code\":-1102"), std::string::npos) << f.last_error();
}

TEST(DepthSnapshotFetch, ACertificateThatDoesNotVerifyGivesAnErrorAndNoBody) {
  RestVenue venue("none", /*trusted_cert=*/false);  // for wrong.example, not 127.0.0.1
  DepthSnapshotFetcher f(fast_options(venue.url(kSpotPath)), venue.tls.get(), {"BTCUSDT"});
  f.start();
  f.request(0);
  EXPECT_EQ(wait_for_body(f, 1500ms), nullptr);
  EXPECT_GE(f.counters().fetch_failures, 1u);
  // Retried only after retry_max_ms (400 here): retrying soon cannot help.
  EXPECT_LE(f.counters().fetch_failures, 5u);
  EXPECT_EQ(f.counters().fetches_ok, 0u);
  EXPECT_EQ(venue.server.rest_requests(), 0);
  EXPECT_NE(f.last_error().find("the TLS certificate of 127.0.0.1 does not verify"), std::string::npos)
      << f.last_error();
}

TEST(DepthSnapshotFetch, ARefusedPortIsRetriedWithBackoff) {
  // A port with nothing listening: bound by the kernel's choice, then closed.
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(s, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  ASSERT_EQ(::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len), 0);
  const int port = ntohs(a.sin_port);
  ::close(s);

  TlsClientContext tls;
  DepthSnapshotFetcher f(fast_options("https://127.0.0.1:" + std::to_string(port) + kSpotPath), &tls, {"BTCUSDT"});
  f.start();
  f.request(0);
  EXPECT_EQ(wait_for_body(f, 1500ms), nullptr);
  // Backoff from 100 ms doubling to 400 ms (each wait in the upper half of its step): about 5 tries
  // in 1.5 s, never a tight loop.
  EXPECT_GE(f.counters().fetch_failures, 3u);
  EXPECT_LE(f.counters().fetch_failures, 10u);
  EXPECT_EQ(f.counters().last_http_status, 0u);
  EXPECT_NE(f.last_error().find("cannot connect to 127.0.0.1:" + std::to_string(port) + ": Connection refused"),
            std::string::npos)
      << f.last_error();
}

// The REST endpoint is down (refused), then comes back on the same port (a restart): the fetcher,
// retrying with backoff, gets the snapshot once it answers.
TEST(DepthSnapshotFetch, AVenueThatComesBackIsFetchedFrom) {
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(s, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  ASSERT_EQ(::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len), 0);
  const int port = ntohs(a.sin_port);
  ::close(s);

  TempDir dir;
  const auto cert = tp::testing::make_localhost_cert(dir.path());
  TlsClientContext tls(cert.cert);
  DepthSnapshotFetcher f(fast_options("https://127.0.0.1:" + std::to_string(port) + kSpotPath), &tls, {"BTCUSDT"});
  f.start();
  f.request(0);
  EXPECT_EQ(wait_for_body(f, 500ms), nullptr);
  EXPECT_GE(f.counters().fetch_failures, 1u);
  WsMarketServer server({"--port", std::to_string(port), "--tls", cert.pem_pair(), "--rest-depth", kSnapshotFile,
                         "--max-seconds", "60"});
  const DepthSnapshotBody* b = wait_for_body(f, 5s);
  ASSERT_NE(b, nullptr) << f.last_error();
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(b->data), b->len), message_of("BTCUSDT"));
  f.release();
  EXPECT_EQ(f.counters().fetches_ok, 1u);
  EXPECT_EQ(server.rest_requests(), 1);
}

TEST(DepthSnapshotFetch, DestructorDoesNotWaitForAStalledFetch) {
  RestVenue venue("stall");
  DepthSnapshotFetcherOptions o = fast_options(venue.url(kSpotPath));
  o.timeout_ms = 10000;
  auto f = std::make_unique<DepthSnapshotFetcher>(o, venue.tls.get(), std::vector<std::string>{"BTCUSDT"});
  f->start();
  f->request(0);
  const auto end = Clock::now() + 5s;
  while (venue.server.rest_requests() == 0 && Clock::now() < end) std::this_thread::sleep_for(5ms);
  ASSERT_EQ(venue.server.rest_requests(), 1);  // the fetch is waiting for the stalled answer now
  const auto t0 = Clock::now();
  f.reset();
  EXPECT_LT(Clock::now() - t0, 500ms);
}

TEST(DepthSnapshotFetch, ABadUrlTemplateIsRefusedAtConstruction) {
  DepthSnapshotFetcherOptions o;
  o.url_template = "ftp://example.com/{symbol}";
  try {
    DepthSnapshotFetcher f(o, nullptr, {"BTCUSDT"});
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "the depth snapshot URL 'ftp://example.com/BTCUSDT' must start with http:// or https://");
  }
  o.url_template = "https://example.com/{symbol}";
  EXPECT_THROW(DepthSnapshotFetcher(o, nullptr, {"BTCUSDT"}), std::invalid_argument);  // https without TLS
}

}  // namespace
}  // namespace tp::feed
