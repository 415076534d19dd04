// DepthSnapshotFetcher: fetches a venue's REST order-book snapshots (Binance GET /api/v3/depth,
// /fapi/v1/depth) on a background thread of its own, for the feed thread that keeps the books.
//
// The feed thread asks for a symbol's snapshot with request() and picks up what arrived with
// poll()/release(); neither allocates, locks or makes a system call (request() may notify a waiting
// fetcher thread once per request). The fetcher thread does the slow part - TCP, TLS, HTTP through
// HttpGetter - and retries a failed fetch by itself, with backoff (ReconnectBackoff, a Retry-After
// honoured when longer, at least min_interval_ms between two fetches of one symbol), until it
// succeeds or the fetcher is destroyed: the feed thread only ever sees complete HTTP 200 bodies.
//
// Ownership invariant, per symbol slot (state is the slot's atomic):
//   Idle     -> nobody uses the slot's buffer. The feed thread may request() (Idle -> Wanted).
//   Wanted   -> the fetcher thread owns the slot: it alone moves it to InFlight, fills the buffer,
//   InFlight    and publishes Ready (release), or puts it back to Wanted after a failure.
//   Ready    -> the feed thread owns the buffer (poll() acquired it) until release() (-> Idle,
//               release ordering); the fetcher thread does not touch a Ready slot.
// So each buffer has exactly one owner at a time and the hand-overs are the state's stores.
//
// Threads: the constructor, start() and the destructor on one thread (the engine's); request(),
// poll(), release() on the feed thread only; counters() and last_error() on any thread.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/timing/reconnect_backoff.hpp"
#include "core/types/counters.hpp"
#include "core/types/symbol_table.hpp"
#include "core/types/ws_url.hpp"

namespace tp {
class EventLog;
}

namespace tp::feed {

class HttpGetter;
struct HttpGetResult;
class TlsClientContext;

struct DepthSnapshotFetcherOptions {
  // e.g. https://api.binance.com/api/v3/depth?symbol={symbol}&limit=1000; every "{symbol}" is
  // replaced by the symbol's venue name as given to the constructor (Binance's REST API wants it
  // upper case: BTCUSDT).
  std::string url_template;
  int timeout_ms = 10000;  // one fetch, connect to last byte
  std::size_t max_body_bytes = 8u << 20;
  int64_t min_interval_ms = 1000;  // between the starts of two fetches of one symbol (request weight)
  // Backoff after a failed fetch; a Retry-After (429, 418) is honoured when longer. A certificate
  // that does not verify waits retry_max_ms: retrying soon will not help.
  int64_t retry_min_ms = 500, retry_max_ms = 30000;
  // One line per failed and per successful fetch, written from the fetcher thread (EventLog::write
  // is for any thread off the hot path). Null: none.
  EventLog* log = nullptr;
};

// A snapshot as the feed thread gets it: the whole body of an HTTP 200, with the symbol added as
// its first member, "s" (`{"s":"BTCUSDT","lastUpdateId":...}`): the message the normalizer reads.
struct DepthSnapshotBody {
  SymbolId symbol = kNoSymbol;
  int64_t recv_ts_ns = 0;  // CLOCK_REALTIME when its last byte arrived
  const uint8_t* data = nullptr;
  std::size_t len = 0;  // >= kPadding zeroed bytes are readable after data + len (simdjson)
  // Where it came from, for the session recorder (SessionRecorder::message_connection): the TCP
  // connection's addresses, the Host header value and the request target (path and query).
  sockaddr_storage local{};
  sockaddr_storage remote{};
  std::string_view host;
  std::string_view target;
  static constexpr std::size_t kPadding = 64;
};

class DepthSnapshotFetcher {
 public:
  struct Counters {
    Counter requests;          // request()s that asked for a fetch (feed thread)
    Counter fetches_ok;        // snapshots delivered (fetcher thread, as all below)
    Counter fetch_failures;    // failed tries, each retried
    Counter last_http_status;  // of the last try (0: no HTTP answer)
  };

  // `tls` (null: http:// only) must outlive the fetcher. `venue_symbols[id]` is SymbolId id's venue
  // name. Throws std::invalid_argument with a sentence when the URL template is not an http(s) URL.
  DepthSnapshotFetcher(DepthSnapshotFetcherOptions options, TlsClientContext* tls,
                       std::vector<std::string> venue_symbols);
  // Stops and joins the thread. A fetch in progress is abandoned within about 100 ms (checked
  // between waits on the socket), except while a host name is being resolved (up to the resolver's
  // own timeout).
  ~DepthSnapshotFetcher();
  DepthSnapshotFetcher(const DepthSnapshotFetcher&) = delete;
  DepthSnapshotFetcher& operator=(const DepthSnapshotFetcher&) = delete;

  void start();

  // Feed thread: wants `id`'s snapshot. No-op while one is wanted, in flight or ready for it (and
  // for an unknown id).
  void request(SymbolId id) noexcept;
  // Feed thread: a snapshot that arrived, or null. The same one again until release(). Valid
  // until release().
  const DepthSnapshotBody* poll() noexcept;
  // Feed thread: done with the body poll() returned (no-op when there is none).
  void release() noexcept;

  const Counters& counters() const noexcept { return counters_; }
  // The last failure, as logged ("" before the first); any thread.
  std::string last_error() const;

 private:
  enum SlotState : uint8_t { Idle, Wanted, InFlight, Ready };
  struct Slot {
    Slot(int64_t retry_min_ms, int64_t retry_max_ms) : backoff(retry_min_ms, retry_max_ms) {}
    std::atomic<uint8_t> state{Idle};
    // The owner per the invariant above writes these.
    std::unique_ptr<uint8_t[]> buffer;
    std::size_t capacity = 0;
    DepthSnapshotBody body;
    // Fetcher thread only.
    int64_t not_before_ms = 0;
    ReconnectBackoff backoff;
  };

  void run();
  void fetch(SymbolId id, HttpGetter& getter);
  void publish(Slot& slot, SymbolId id, const HttpGetResult& r);

  const DepthSnapshotFetcherOptions options_;
  TlsClientContext* tls_;
  const std::vector<std::string> symbols_;
  std::vector<HttpUrl> urls_;       // per symbol
  std::vector<std::string> hosts_;  // per symbol: urls_[id].host_header()
  std::vector<std::unique_ptr<Slot>> slots_;
  Counters counters_;
  std::atomic<uint32_t> wake_{0};   // bumped by request() and the destructor; the fetcher waits on it
  std::atomic<uint32_t> ready_{0};  // slots Ready and not yet released: poll() scans only when > 0
  std::atomic<bool> stop_{false};
  std::size_t polled_ = SIZE_MAX;  // feed thread: the slot poll() handed out
  std::size_t scan_from_ = 0;      // feed thread: round-robin start of poll()'s scan
  std::size_t next_fetch_ = 0;     // fetcher thread: round-robin start among Wanted slots
  mutable std::mutex error_mutex_;
  std::string last_error_;
  std::thread thread_;
};

}  // namespace tp::feed
