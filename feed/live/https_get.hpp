// HttpGetter: one HTTP/1.1 GET over http:// or https://, the whole exchange - resolve, connect,
// TLS, request, response - bounded by one timeout. For the venue's REST API (the depth snapshot,
// feed/live/depth_snapshot_fetcher), off the hot path: it may allocate and block its thread.
//
// The connection is TlsSocket's (the same TCP + TLS code as the market-data WebSocket: the same
// trust anchors, SNI and host check); the response is HttpResponseReader's. One request per
// connection (Connection: close): a snapshot every few seconds at most does not need keep-alive.
// The getter keeps its response buffer between calls, so repeated fetches of similar bodies stop
// allocating for it.
//
// Not thread-safe: one owner thread.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/types/ws_url.hpp"
#include "feed/live/http_response_reader.hpp"
#include "feed/live/tls_socket.hpp"

namespace tp::feed {

struct HttpGetResult {
  bool ok = false;             // status 200 and the whole body
  int status = 0;              // the HTTP status (0: no complete response head)
  std::string_view body;       // valid until the next get(); HttpResponseReader::kBodyPadding zeroed bytes follow it
  int64_t retry_after_s = -1;  // the response's Retry-After, in seconds (-1: none)
  int64_t recv_ts_ns = 0;      // CLOCK_REALTIME of the read that completed the response (0: none)
  std::string error;           // why not ok: a sentence naming the host ("" when ok)
  bool certificate_error = false;  // the server's certificate did not verify: retrying will not help
  // The connection's addresses (for the session recorder); zero when it never connected.
  sockaddr_storage local{};
  sockaddr_storage remote{};
};

class HttpGetter {
 public:
  // `tls` must outlive the getter; null allows http:// only.
  HttpGetter(TlsClientContext* tls, std::size_t max_body_bytes);

  // Gives up (an error result) soon after `*flag` turns true: within ~100 ms, except while a name
  // is being resolved. For a thread that must stop promptly.
  void set_cancel_flag(const std::atomic<bool>* flag) noexcept;

  // GET `url` (http:// or https://), everything within `timeout_ms`.
  HttpGetResult get(const HttpUrl& url, int timeout_ms);
  // Parses `url` first: a bad URL is an error result.
  HttpGetResult get(std::string_view url, int timeout_ms);

 private:
  TlsClientContext* tls_;
  TlsSocket socket_;
  HttpResponseReader reader_;
  const std::atomic<bool>* cancel_ = nullptr;
  std::unique_ptr<uint8_t[]> read_buf_;
};

// The request HttpGetter sends for `url` (exposed for tests).
std::string make_http_get_request(const HttpUrl& url);

}  // namespace tp::feed
