// The live receive path on loopback: tickpipe's own WebSocket client (tp::feed::WsConnection, with
// the WebSocketFramer inside it) against Boost.Beast's (boost::beast::websocket::stream over a
// boost::asio::ip::tcp::socket), each followed by the SAME tp::feed::BinanceNormalizer producing a
// tp::MarketEvent, so what differs is the receive path: socket reads, framing, reassembly.
//
// Server: an in-process thread on 127.0.0.1 (kernel-chosen port), plain TCP with TCP_NODELAY. It
// answers the HTTP upgrade itself (Sec-WebSocket-Accept from tp::feed::websocket_accept), then only
// writes pre-encoded, unmasked, final text frames of real Binance spot messages: the 381 bookTicker
// and trade messages of tests/data/binance/spot_btcusdt_20240808_head400.txt (the JSON after the
// timestamp; the depth messages are left out, so every message yields an event). No parsing, no
// allocation, no node process: the server is never the bottleneck (BM_*/RawRecv_Spin shows the
// ceiling of the pipe itself).
//
// Clients (the benchmark thread is the client):
//   Ours_Spin      WsConnection{ws://127.0.0.1:PORT/}.connect(), then read(MessageFn) in a loop;
//                  on WouldBlock, PAUSE and read again (what the engine's busy_poll feed does).
//   Ours_Poll      the same, but on WouldBlock poll(fd, POLLIN) sleeps until bytes arrive (the
//                  engine's default, busy_poll = false).
//   Beast_Sync     websocket::stream<tcp::socket>, TCP_NODELAY, auto_fragment(false),
//                  read_message_max(1 MiB), no permessage-deflate; ws.read(flat_buffer) into one
//                  buffer reserved once and reused (prepare(kPayloadPadding) for the normalizer's
//                  simdjson padding: never reallocates, the buffer is emptied by consume() after each
//                  message so the data always starts at the front), CLOCK_REALTIME read per message
//                  (ours reads it per recv). A blocking socket: the thread sleeps in recv().
//   Beast_Spin     the same stream over a thin SyncStream wrapper whose read_some/write_some spin
//                  (PAUSE) on a non-blocking tcp::socket: Beast with the engine's wait strategy, so
//                  Ours_Spin vs Beast_Spin (and Ours_Poll vs Beast_Sync) compares code paths with
//                  the same way of waiting.
//   Beast_Buffered Beast_Sync with Beast's own beast::buffered_read_stream<tcp::socket, flat_buffer>
//                  (64 KiB) between the websocket stream and the socket: the stream's internal read
//                  buffer is a fixed 1536 bytes (websocket::stream::tcp_frame_size), so plain Beast
//                  makes one recv() per <= 1536 bytes; this makes one per <= 64 KiB, for one more
//                  copy. The throughput tuning a Beast user has without patching Beast.
//   RawRecv_Spin   no WebSocket and no normalizer: recv() into a 256 KiB buffer until the expected
//                  byte count has arrived. The floor (latency) and ceiling (throughput) of loopback
//                  TCP on this machine with this server.
//
// BM_Throughput/<client>: each iteration the client bumps a request counter and the server writes
//   kBatch frames back to back (one send loop over a pre-encoded 2.5 MB block); the iteration ends
//   when the client has produced kBatch events. items_per_second = messages (events) per second.
//   One batch is received before timing (warm-up). The events' checksum (ids, prices, sizes) is
//   compared with the expected one; any drop, mismatch or stall fails the benchmark.
// BM_Latency/<client>: one message in flight. Each iteration the client bumps the request counter;
//   the server (spinning on it) stores tp::TscClock::now() in shared memory (the side channel) and
//   then write()s one frame; the client stamps tp::TscClock::now() when the normalizer has produced
//   the event (RawRecv: when the frame's last byte has arrived). Sample = event stamp - send stamp
//   (socket-to-event latency: the server's send syscall, loopback TCP, the wake-up or the spin, the
//   client's read, framing and normalizing). p50_ns / p90_ns / p99_ns / p999_ns over the iteration's
//   samples; the iteration's real time also has the request hand-off (a cache line each way).
//   1000 untimed round trips first.
// Both: allocs_per_msg = global operator new calls in the timed loop, on any thread (the counting
//   allocator of bench/counting_allocator.hpp), per message.
//
// Threads: with >= 3 allowed CPUs the server is pinned to the second allowed CPU and the client
// (benchmark thread) to the third (the first is left to the kernel, whose loopback softirq work runs
// there or on the sender's CPU). With fewer the threads run unpinned and each result is labelled
// `unpinned`; on a 2-vCPU VM the scheduler usually keeps the two spinning threads on different
// vCPUs, but anything else running preempts them.
#include <benchmark/benchmark.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffered_read_stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

#include "core/threads/thread_affinity.hpp"
#include "core/threads/wait_strategy.hpp"
#include "core/timing/tsc_clock.hpp"
#include "core/types/events.hpp"
#include "core/types/symbol_table.hpp"
#include "core/types/ws_url.hpp"
#include "feed/binance_normalizer.hpp"
#include "feed/decode_stats.hpp"
#include "feed/live/websocket_handshake.hpp"
#include "feed/live/ws_connection.hpp"
#include "feed/message.hpp"
#include "feed/normalizer_stats.hpp"
#include "bench/counting_allocator.hpp"

namespace {

namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
namespace net = boost::asio;
using tcp = boost::asio::ip::tcp;
using tp::feed::kPayloadPadding;
using tp::feed::Message;

constexpr int64_t kBatch = 16384;             // frames per throughput iteration
constexpr int64_t kLatencyIterations = 10000;  // round trips per latency repetition
constexpr int64_t kLatencyWarmup = 1000;
constexpr std::size_t kMaxMessage = 1u << 20;  // framer max_message_bytes == Beast read_message_max
constexpr std::size_t kRawBuffer = 1u << 18;   // = WsConnectOptions::read_buffer_bytes' default
constexpr auto kStallTimeout = std::chrono::seconds(2);

// The TSC (or steady_clock) chosen and calibrated before any thread stamps.
[[maybe_unused]] const bool g_tsc_ready = tp::TscClock::init();

int64_t realtime_ns() noexcept {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// ---- messages ----------------------------------------------------------------------------------

uint64_t event_sum(const tp::MarketEvent& e) noexcept {
  if (e.kind == tp::EventKind::BookTop)
    return e.book.venue_seq * 31 + static_cast<uint64_t>(e.book.bid_px) + static_cast<uint64_t>(e.book.bid_qty) * 3 +
           static_cast<uint64_t>(e.book.ask_px) * 5 + static_cast<uint64_t>(e.book.ask_qty) * 7;
  return e.trade.trade_id * 37 + static_cast<uint64_t>(e.trade.px) + static_cast<uint64_t>(e.trade.qty) * 11 +
         static_cast<uint64_t>(e.trade.aggressor) + 13;
}

void append_frame(std::vector<uint8_t>& out, std::string_view payload) {
  out.push_back(0x81);  // FIN, text
  const std::size_t n = payload.size();
  if (n < 126) {
    out.push_back(static_cast<uint8_t>(n));
  } else if (n < 65536) {
    out.push_back(126);
    out.push_back(static_cast<uint8_t>(n >> 8));
    out.push_back(static_cast<uint8_t>(n));
  } else {
    out.push_back(127);
    for (int s = 56; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(static_cast<uint64_t>(n) >> s));
  }
  out.insert(out.end(), payload.begin(), payload.end());
}

struct Corpus {
  std::vector<std::string> payloads;  // the JSON of each bookTicker / trade message
  std::vector<uint8_t> frames;        // each one as a server frame, back to back
  std::vector<std::size_t> offset;    // frame i is frames[offset[i], offset[i + 1])
  std::vector<uint64_t> sums;         // event_sum of message i's event
  std::vector<uint8_t> batch;         // kBatch frames, the corpus cycled
  uint64_t batch_sum = 0;
  std::size_t batch_payload_bytes = 0;

  std::size_t size() const noexcept { return payloads.size(); }
  std::size_t frame_size(std::size_t i) const noexcept { return offset[i + 1] - offset[i]; }
};

const Corpus& corpus() {
  static const Corpus c = [] {
    const std::string path = std::string(TP_SOURCE_DIR) + "/tests/data/binance/spot_btcusdt_20240808_head400.txt";
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot open " + path);
    Corpus k;
    std::string line;
    while (std::getline(in, line)) {
      const std::string json = line.substr(line.find(' ') + 1);
      if (json.find("\"stream\":\"btcusdt@bookTicker\"") == std::string::npos &&
          json.find("\"stream\":\"btcusdt@trade\"") == std::string::npos)
        continue;
      k.payloads.push_back(json);
    }
    if (k.payloads.empty()) throw std::runtime_error("no bookTicker/trade messages in " + path);
    // Expected events, from the normalizer on the text itself.
    tp::SymbolTable symbols({"BTCUSDT", "ETHUSDT"});
    tp::feed::NormalizerStats stats;
    tp::feed::BinanceNormalizer norm(symbols, stats, kMaxMessage);
    for (const std::string& p : k.payloads) {
      k.offset.push_back(k.frames.size());
      append_frame(k.frames, p);
      const std::string padded = p + std::string(kPayloadPadding, ' ');
      tp::MarketEvent ev{};
      if (!norm.normalize(Message{padded.data(), p.size(), 1}, ev)) throw std::runtime_error("a message gave no event");
      k.sums.push_back(event_sum(ev));
    }
    k.offset.push_back(k.frames.size());
    for (int64_t i = 0; i < kBatch; ++i) {
      const std::size_t m = static_cast<std::size_t>(i) % k.size();
      k.batch.insert(k.batch.end(), k.frames.begin() + static_cast<std::ptrdiff_t>(k.offset[m]),
                     k.frames.begin() + static_cast<std::ptrdiff_t>(k.offset[m + 1]));
      k.batch_sum += k.sums[m];
      k.batch_payload_bytes += k.payloads[m].size();
    }
    return k;
  }();
  return c;
}

// ---- threads -----------------------------------------------------------------------------------

struct Placement {
  int server_cpu = -1;
  int client_cpu = -1;
  int allowed = 0;
};

// Read once, before the benchmark thread pins itself (allowed_cpus() reads the main thread's mask).
const Placement& placement() {
  static const Placement p = [] {
    Placement q;
    const std::vector<int> cpus = tp::allowed_cpus();
    q.allowed = static_cast<int>(cpus.size());
    if (cpus.size() >= 3) {
      q.server_cpu = cpus[1];
      q.client_cpu = cpus[2];
    }
    return q;
  }();
  return p;
}

bool pin(int cpu) {
  if (cpu < 0) return false;
  const std::string err = tp::pin_current_thread(cpu);
  if (err.empty()) return true;
  static std::atomic<bool> warned{false};
  if (!warned.exchange(true)) std::fprintf(stderr, "live_receive_bench: %s (running unpinned)\n", err.c_str());
  return false;
}

struct alignas(64) PaddedU64 {
  std::atomic<uint64_t> v{0};
};
struct alignas(64) PaddedBool {
  std::atomic<bool> v{false};
};

// Spins until pred() holds; false after kStallTimeout (the clock is read every 64K spins only).
class StallGuard {
 public:
  // Call once per empty poll; false once the wait has lasted kStallTimeout.
  bool idle() noexcept {
    tp::cpu_relax();
    if ((++spins_ & 0xFFFF) != 0) return true;
    const auto now = std::chrono::steady_clock::now();
    if (spins_ == 0x10000) start_ = now;
    return now - start_ <= kStallTimeout;
  }
  void progress() noexcept { spins_ = 0; }

 private:
  uint32_t spins_ = 0;
  std::chrono::steady_clock::time_point start_{};
};

// ---- server ------------------------------------------------------------------------------------

bool send_all(int fd, const uint8_t* p, std::size_t n) noexcept {
  while (n > 0) {
    const ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

// Answers one upgrade: reads the request head, replies 101 with the accept for its key.
bool server_upgrade(int fd) {
  std::string head;
  char buf[4096];
  while (head.find("\r\n\r\n") == std::string::npos) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return false;
    head.append(buf, static_cast<std::size_t>(n));
  }
  std::string lower = head;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  const std::string name = "\r\nsec-websocket-key:";
  const std::size_t at = lower.find(name);
  if (at == std::string::npos) return false;
  std::size_t b = at + name.size();
  const std::size_t e = head.find("\r\n", b);
  while (b < e && (head[b] == ' ' || head[b] == '\t')) ++b;
  std::size_t end = e;
  while (end > b && (head[end - 1] == ' ' || head[end - 1] == '\t')) --end;
  const std::string reply = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                            "Sec-WebSocket-Accept: " + tp::feed::websocket_accept(std::string_view(head).substr(b, end - b)) +
                            "\r\n\r\n";
  return send_all(fd, reinterpret_cast<const uint8_t*>(reply.data()), reply.size());
}

class Server {
 public:
  enum class Mode { Batch, Single };

  Server(const Corpus& c, Mode mode) : corpus_(c), mode_(mode) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0) throw std::runtime_error("socket() failed");
    const int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listen_fd_, 1) != 0)
      throw std::runtime_error("cannot listen on 127.0.0.1");
    socklen_t len = sizeof a;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~Server() {
    stop_.v.store(true, std::memory_order_relaxed);
    ::shutdown(listen_fd_, SHUT_RDWR);
    if (const int fd = conn_fd_.load(); fd >= 0) ::shutdown(fd, SHUT_RDWR);
    thread_.join();
    if (conn_fd_.load() >= 0) ::close(conn_fd_.load());
    ::close(listen_fd_);
  }
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  uint16_t port() const noexcept { return port_; }
  bool pinned() const noexcept { return pinned_.v.load(std::memory_order_acquire); }
  bool failed() const noexcept { return failed_.v.load(std::memory_order_acquire); }
  // Client side: one more batch (Batch) or the next single frame (Single).
  void request() noexcept { request_.v.fetch_add(1, std::memory_order_release); }
  // Single: TSC stamp taken just before the write of the latest frame.
  uint64_t send_tsc() const noexcept { return send_tsc_.v.load(std::memory_order_acquire); }

 private:
  void run() {
    pinned_.v.store(pin(placement().server_cpu), std::memory_order_release);
    tp::name_current_thread("bench-ws-server");
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      failed_.v.store(true, std::memory_order_release);
      return;
    }
    conn_fd_.store(fd);
    if (stop_.v.load()) ::shutdown(fd, SHUT_RDWR);
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (!server_upgrade(fd)) {
      failed_.v.store(true, std::memory_order_release);
      return;
    }
    uint64_t done = 0;
    const std::size_t n = corpus_.size();
    while (!stop_.v.load(std::memory_order_relaxed)) {
      const uint64_t want = request_.v.load(std::memory_order_acquire);
      if (want == done) {
        tp::cpu_relax();
        continue;
      }
      for (; done < want; ++done) {
        bool ok;
        if (mode_ == Mode::Batch) {
          ok = send_all(fd, corpus_.batch.data(), corpus_.batch.size());
        } else {
          const std::size_t m = done % n;
          send_tsc_.v.store(tp::TscClock::now(), std::memory_order_release);
          ok = send_all(fd, corpus_.frames.data() + corpus_.offset[m], corpus_.frame_size(m));
        }
        if (!ok) {
          if (!stop_.v.load()) failed_.v.store(true, std::memory_order_release);
          return;
        }
      }
    }
  }

  const Corpus& corpus_;
  Mode mode_;
  int listen_fd_ = -1;
  std::atomic<int> conn_fd_{-1};
  uint16_t port_ = 0;
  PaddedU64 request_;
  PaddedU64 send_tsc_;
  PaddedBool stop_;
  PaddedBool failed_;
  PaddedBool pinned_;
  std::thread thread_;
};

// ---- clients -----------------------------------------------------------------------------------

// Where every client hands its messages: the same normalizer and the same bookkeeping.
struct EventSink {
  explicit EventSink(tp::feed::BinanceNormalizer& n) : norm(&n) {}
  tp::feed::BinanceNormalizer* norm;
  tp::MarketEvent ev{};
  uint64_t events = 0;
  uint64_t no_event = 0;
  uint64_t sum = 0;
  uint64_t event_tsc = 0;  // TSC when the last event was produced

  void on_message(const Message& m) noexcept {
    if (norm->normalize(m, ev)) [[likely]] {
      event_tsc = tp::TscClock::now();
      ++events;
      sum += event_sum(ev);
    } else {
      ++no_event;
    }
  }
};

// What a client must have received when a pump returns: events (WebSocket clients) or raw bytes.
struct Target {
  uint64_t events;
  uint64_t bytes;
};

template <bool Spin>
class OurClient {
 public:
  static constexpr const char* kName = Spin ? "Ours_Spin" : "Ours_Poll";

  OurClient(uint16_t port, EventSink& sink) : sink_(sink), conn_(options(port), nullptr, &stats_) {
    const tp::feed::WsConnectResult r = conn_.connect(2000);
    if (!r.ok) throw std::runtime_error("WsConnection::connect: " + r.error);
  }

  bool pump(const Target& t) noexcept {
    const tp::feed::MessageFn fn{&sink_, [](void* ctx, const Message& m) noexcept {
                                   static_cast<EventSink*>(ctx)->on_message(m);
                                 }};
    StallGuard guard;
    while (sink_.events < t.events) {
      const auto st = conn_.read(fn);
      if (st == tp::feed::WsConnection::ReadStatus::Data) {
        guard.progress();
        continue;
      }
      if (st == tp::feed::WsConnection::ReadStatus::Closed) return false;
      if constexpr (Spin) {
        if (!guard.idle()) return false;
      } else {
        pollfd p{conn_.fd(), POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(std::chrono::milliseconds(kStallTimeout).count())) == 0) return false;
      }
    }
    return true;
  }

 private:
  static tp::feed::WsConnectOptions options(uint16_t port) {
    std::string why;
    const auto url = tp::parse_ws_url("ws://127.0.0.1:" + std::to_string(port) + "/", why);
    if (!url) throw std::runtime_error(why);
    tp::feed::WsConnectOptions o;
    o.url = *url;
    o.offer_deflate = false;
    o.framer.max_message_bytes = kMaxMessage;
    return o;
  }

  EventSink& sink_;
  tp::feed::DecodeStats stats_;
  tp::feed::WsConnection conn_;
};

// A SyncStream over a non-blocking tcp::socket whose reads and writes spin (PAUSE) instead of
// sleeping in the kernel: Beast with the engine's busy-poll wait.
class SpinSocket {
 public:
  using executor_type = tcp::socket::executor_type;
  using next_layer_type = tcp::socket;

  explicit SpinSocket(net::io_context& ioc) : sock_(ioc) {}
  executor_type get_executor() noexcept { return sock_.get_executor(); }
  tcp::socket& next_layer() noexcept { return sock_; }
  const tcp::socket& next_layer() const noexcept { return sock_; }

  template <class MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& b, boost::system::error_code& ec) {
    for (;;) {
      const std::size_t n = sock_.read_some(b, ec);
      if (ec != net::error::would_block) return n;
      tp::cpu_relax();
    }
  }
  template <class MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& b) {
    boost::system::error_code ec;
    const std::size_t n = read_some(b, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }
  template <class ConstBufferSequence>
  std::size_t write_some(const ConstBufferSequence& b, boost::system::error_code& ec) {
    for (;;) {
      const std::size_t n = sock_.write_some(b, ec);
      if (ec != net::error::would_block) return n;
      tp::cpu_relax();
    }
  }
  template <class ConstBufferSequence>
  std::size_t write_some(const ConstBufferSequence& b) {
    boost::system::error_code ec;
    const std::size_t n = write_some(b, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

 private:
  tcp::socket sock_;
};

// A blocking tcp::socket behind Beast's own beast::buffered_read_stream with a 64 KiB buffer: one
// recv() per 64 KiB instead of per 1536 bytes (the websocket stream's fixed internal read buffer,
// websocket::stream::tcp_frame_size), for one more copy. What a Beast user tuning for throughput
// can do without touching Beast.
class BufferedSocket {
 public:
  using executor_type = tcp::socket::executor_type;
  using next_layer_type = tcp::socket;
  static constexpr std::size_t kCapacity = 64 * 1024;

  explicit BufferedSocket(net::io_context& ioc) : s_(ioc) {
    s_.capacity(kCapacity);
    s_.buffer().reserve(kCapacity);
  }
  executor_type get_executor() noexcept { return s_.get_executor(); }
  tcp::socket& next_layer() noexcept { return s_.next_layer(); }
  const tcp::socket& next_layer() const noexcept { return s_.next_layer(); }

  template <class MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& b, boost::system::error_code& ec) {
    return s_.read_some(b, ec);
  }
  template <class MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& b) {
    return s_.read_some(b);
  }
  template <class ConstBufferSequence>
  std::size_t write_some(const ConstBufferSequence& b, boost::system::error_code& ec) {
    return s_.write_some(b, ec);
  }
  template <class ConstBufferSequence>
  std::size_t write_some(const ConstBufferSequence& b) {
    return s_.write_some(b);
  }

 private:
  beast::buffered_read_stream<tcp::socket, beast::flat_buffer> s_;
};

// Found by ADL when the websocket stream tears the connection down (a close frame from the peer).
[[maybe_unused]] void teardown(beast::role_type role, SpinSocket& s, boost::system::error_code& ec) {
  websocket::teardown(role, s.next_layer(), ec);
}
[[maybe_unused]] void teardown(beast::role_type role, BufferedSocket& s, boost::system::error_code& ec) {
  websocket::teardown(role, s.next_layer(), ec);
}

template <class NextLayer>
class BeastClient {
 public:
  static constexpr const char* kName = std::is_same_v<NextLayer, tcp::socket>  ? "Beast_Sync"
                                       : std::is_same_v<NextLayer, SpinSocket> ? "Beast_Spin"
                                                                               : "Beast_Buffered";

  BeastClient(uint16_t port, EventSink& sink) : sink_(sink), ws_(ioc_) {
    tcp::socket& sock = beast::get_lowest_layer(ws_);
    sock.connect(tcp::endpoint(net::ip::make_address_v4("127.0.0.1"), port));
    sock.set_option(tcp::no_delay(true));
    if constexpr (std::is_same_v<NextLayer, SpinSocket>) sock.non_blocking(true);
    ws_.auto_fragment(false);
    ws_.read_message_max(kMaxMessage);
    ws_.binary(false);
    ws_.handshake("127.0.0.1:" + std::to_string(port), "/");
    // One buffer for the whole session: room for the largest message plus the padding, so neither
    // read() nor prepare() ever reallocates.
    buf_.reserve(64 * 1024);
  }

  bool pump(const Target& t) noexcept {
    boost::system::error_code ec;
    while (sink_.events < t.events) {
      ws_.read(buf_, ec);
      if (ec) return false;
      const int64_t ts = realtime_ns();
      // simdjson's padding: kPayloadPadding readable bytes after the message (in the buffer's
      // spare capacity: no reallocation, no copy).
      buf_.prepare(kPayloadPadding);
      const auto data = buf_.data();
      sink_.on_message(Message{static_cast<const char*>(data.data()), data.size(), ts});
      buf_.consume(buf_.size());
    }
    return true;
  }

 private:
  EventSink& sink_;
  net::io_context ioc_{1};
  websocket::stream<NextLayer> ws_;
  beast::flat_buffer buf_;
};

// Plain TCP: the upgrade by hand, then recv() and count bytes. No framing, no normalizer.
class RawClient {
 public:
  static constexpr const char* kName = "RawRecv_Spin";

  RawClient(uint16_t port, EventSink& sink) : sink_(sink), buf_(std::make_unique<uint8_t[]>(kRawBuffer)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
      throw std::runtime_error("raw client: cannot connect");
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    const std::string req = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    if (!send_all(fd_, reinterpret_cast<const uint8_t*>(req.data()), req.size()))
      throw std::runtime_error("raw client: cannot send the upgrade");
    std::string head;  // the server sends nothing after the head until asked
    while (head.find("\r\n\r\n") == std::string::npos) {
      char c[512];
      const ssize_t n = ::recv(fd_, c, sizeof c, 0);
      if (n <= 0) throw std::runtime_error("raw client: no upgrade answer");
      head.append(c, static_cast<std::size_t>(n));
    }
    if (head.rfind("HTTP/1.1 101", 0) != 0) throw std::runtime_error("raw client: upgrade refused");
    ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
  }
  ~RawClient() { ::close(fd_); }

  bool pump(const Target& t) noexcept {
    StallGuard guard;
    while (bytes_ < t.bytes) {
      const ssize_t n = ::recv(fd_, buf_.get(), kRawBuffer, 0);
      if (n > 0) {
        bytes_ += static_cast<uint64_t>(n);
        guard.progress();
        continue;
      }
      if (n == 0 || (errno != EAGAIN && errno != EINTR)) return false;
      if (!guard.idle()) return false;
    }
    sink_.event_tsc = tp::TscClock::now();
    sink_.events = t.events;  // one "event" per frame, so the harness's bookkeeping holds
    return true;
  }

 private:
  EventSink& sink_;
  std::unique_ptr<uint8_t[]> buf_;
  int fd_ = -1;
  uint64_t bytes_ = 0;
};

template <class Client>
constexpr bool kChecksEvents = !std::is_same_v<Client, RawClient>;

// ---- benchmarks --------------------------------------------------------------------------------

struct Session {
  tp::SymbolTable symbols{std::vector<std::string>{"BTCUSDT", "ETHUSDT"}};
  tp::feed::NormalizerStats stats;
  tp::feed::BinanceNormalizer norm{symbols, stats, kMaxMessage};
  EventSink sink{norm};
};

void label(benchmark::State& state, bool server_pinned, bool client_pinned) {
  const int allowed = placement().allowed;
  state.counters["cpus"] = allowed;
  state.counters["pinned"] = server_pinned && client_pinned ? 1 : 0;
  if (!server_pinned || !client_pinned) state.SetLabel("unpinned (" + std::to_string(allowed) + " CPUs allowed)");
}

template <class Client>
void BM_Throughput(benchmark::State& state) {
  const Corpus& c = corpus();
  const bool client_pinned = pin(placement().client_cpu);
  Session s;
  Server server(c, Server::Mode::Batch);
  try {
    Client client(server.port(), s.sink);
    Target t{0, 0};
    auto one_batch = [&] {
      t.events += kBatch;
      t.bytes += c.batch.size();
      server.request();
      return client.pump(t);
    };
    if (!one_batch()) {  // warm-up
      state.SkipWithError("warm-up batch did not arrive");
      return;
    }
    const uint64_t allocs0 = tp::bench::allocations();
    for (auto _ : state) {
      if (!one_batch()) {
        state.SkipWithError(server.failed() ? "server failed" : "client stalled or the connection ended");
        break;
      }
    }
    const uint64_t allocs = tp::bench::allocations() - allocs0;
    const auto msgs = state.iterations() * kBatch;
    state.SetItemsProcessed(msgs);
    state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(c.batch_payload_bytes));
    state.counters["allocs_per_msg"] = static_cast<double>(allocs) / static_cast<double>(std::max<int64_t>(msgs, 1));
    state.counters["ns_per_msg"] =
        benchmark::Counter(static_cast<double>(msgs), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
    if constexpr (kChecksEvents<Client>) {
      const uint64_t batches = static_cast<uint64_t>(state.iterations()) + 1;
      if (s.sink.no_event != 0 || s.stats.dropped() != 0 || s.sink.events != batches * kBatch ||
          s.sink.sum != batches * c.batch_sum)
        state.SkipWithError("events lost, extra or different from the messages sent");
    }
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  label(state, server.pinned(), client_pinned);
}

template <class Client>
void BM_Latency(benchmark::State& state) {
  const Corpus& c = corpus();
  const bool client_pinned = pin(placement().client_cpu);
  Session s;
  Server server(c, Server::Mode::Single);
  std::vector<int64_t> samples;
  samples.reserve(static_cast<std::size_t>(state.max_iterations));
  uint64_t expect_sum = 0;
  try {
    Client client(server.port(), s.sink);
    Target t{0, 0};
    uint64_t next = 0;  // index of the next frame the server sends
    auto round_trip = [&] {
      const std::size_t m = next % c.size();
      ++next;
      t.events += 1;
      t.bytes += c.frame_size(m);
      expect_sum += c.sums[m];
      server.request();
      return client.pump(t);
    };
    for (int64_t i = 0; i < kLatencyWarmup; ++i) {
      if (!round_trip()) {
        state.SkipWithError("warm-up message did not arrive");
        return;
      }
    }
    const uint64_t allocs0 = tp::bench::allocations();
    for (auto _ : state) {
      if (!round_trip()) {
        state.SkipWithError(server.failed() ? "server failed" : "client stalled or the connection ended");
        break;
      }
      samples.push_back(static_cast<int64_t>(s.sink.event_tsc - server.send_tsc()));
    }
    const uint64_t allocs = tp::bench::allocations() - allocs0;
    state.counters["allocs_per_msg"] =
        static_cast<double>(allocs) / static_cast<double>(std::max<int64_t>(state.iterations(), 1));
    if constexpr (kChecksEvents<Client>) {
      if (s.sink.no_event != 0 || s.stats.dropped() != 0 || s.sink.events != next || s.sink.sum != expect_sum)
        state.SkipWithError("events lost, extra or different from the messages sent");
    }
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  if (!samples.empty()) {
    int64_t negative = 0;
    for (int64_t& v : samples) {
      if (v < 0) {
        ++negative;
        v = 0;
      }
      v = static_cast<int64_t>(tp::TscClock::to_ns(static_cast<uint64_t>(v)));
    }
    std::sort(samples.begin(), samples.end());
    auto pct = [&](double q) {
      const auto i = static_cast<std::size_t>(q * static_cast<double>(samples.size() - 1) + 0.5);
      return static_cast<double>(samples[std::min(i, samples.size() - 1)]);
    };
    state.counters["p50_ns"] = pct(0.50);
    state.counters["p90_ns"] = pct(0.90);
    state.counters["p99_ns"] = pct(0.99);
    state.counters["p999_ns"] = pct(0.999);
    if (negative != 0) state.counters["negative_samples"] = static_cast<double>(negative);
  }
  state.SetItemsProcessed(state.iterations());
  label(state, server.pinned(), client_pinned);
}

constexpr double kMinTime = 0.3;

#define TP_LIVE_BENCH(Client)                                                                              \
  BENCHMARK_TEMPLATE(BM_Throughput, Client)                                                                \
      ->Name(std::string("BM_Throughput/") + Client::kName)                                                \
      ->UseRealTime()                                                                                      \
      ->MinTime(kMinTime)                                                                                  \
      ->Unit(benchmark::kMillisecond);                                                                     \
  BENCHMARK_TEMPLATE(BM_Latency, Client)                                                                   \
      ->Name(std::string("BM_Latency/") + Client::kName)                                                   \
      ->UseRealTime()                                                                                      \
      ->Iterations(kLatencyIterations)                                                                     \
      ->Unit(benchmark::kMicrosecond)

using OursSpin = OurClient<true>;
using OursPoll = OurClient<false>;
using BeastSync = BeastClient<tcp::socket>;
using BeastSpin = BeastClient<SpinSocket>;
using BeastBuffered = BeastClient<BufferedSocket>;

TP_LIVE_BENCH(OursSpin);
TP_LIVE_BENCH(BeastSync);
TP_LIVE_BENCH(OursPoll);
TP_LIVE_BENCH(BeastSpin);
TP_LIVE_BENCH(BeastBuffered);
TP_LIVE_BENCH(RawClient);

}  // namespace

BENCHMARK_MAIN();
