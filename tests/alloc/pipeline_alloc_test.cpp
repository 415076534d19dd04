// The hot path never allocates: this binary replaces the global allocation functions (and OpenSSL's,
// for the live TLS path), replays the bundled capture through the whole pipeline (feed -> strategy
// -> gateway -> journal) in both modes, runs a live session against a real WebSocket server (plain
// and TLS), and counts every allocation made, on any thread, between the end of the warm-up and the
// moment the stages stop. Start-up (building the pipeline, connecting) and the report afterwards may
// allocate.
#include <sys/prctl.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <new>
#include <string>

#include <openssl/crypto.h>

#include "../app/cli_runner.hpp"
#include "../peers/fix_exchange.hpp"
#include "../peers/ws_market_server.hpp"
#include "app/engine_runner.hpp"
#include "core/config/config.hpp"
#include "core/timing/pipeline_latency.hpp"
#include "core/timing/tsc_clock.hpp"

namespace {

std::atomic<bool> g_armed{false};
std::atomic<uint64_t> g_allocations{0};
std::atomic<std::size_t> g_first_size{0};

// The operations side (ops/: the monitor thread and the HTTP endpoint's, named "tp-ops-...") sits
// beside the hot path and may allocate; every other thread of the run is a stage.
bool ops_thread() noexcept {
  char name[16] = {};
  ::prctl(PR_GET_NAME, name, 0, 0, 0);
  return std::strncmp(name, "tp-ops", 6) == 0;
}

void note(std::size_t size) noexcept {
  if (!g_armed.load(std::memory_order_relaxed)) return;
  if (ops_thread()) return;
  if (g_allocations.fetch_add(1, std::memory_order_relaxed) == 0) g_first_size.store(size, std::memory_order_relaxed);
}

void* allocate(std::size_t size, std::size_t align = alignof(std::max_align_t)) {
  note(size);
  void* p = nullptr;
  if (align <= alignof(std::max_align_t)) {
    p = std::malloc(size == 0 ? 1 : size);
  } else if (posix_memalign(&p, align, size == 0 ? align : size) != 0) {
    p = nullptr;
  }
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

}  // namespace

void* operator new(std::size_t n) { return allocate(n); }
void* operator new[](std::size_t n) { return allocate(n); }
void* operator new(std::size_t n, std::align_val_t a) { return allocate(n, static_cast<std::size_t>(a)); }
void* operator new[](std::size_t n, std::align_val_t a) { return allocate(n, static_cast<std::size_t>(a)); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return allocate(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return allocate(n);
  } catch (...) {
    return nullptr;
  }
}
// OpenSSL allocates with its own functions (malloc underneath): counted apart, because OpenSSL 3.0
// allocates (and frees) 40 bytes per TLS 1.3 record it decrypts and per record it writes
// (crypto/packet.c, the record header's WPACKET) - the library's, not ours, and what the live TLS
// case reports. Installed before main, before OpenSSL has allocated anything.
namespace {
std::atomic<uint64_t> g_openssl_allocations{0};
void openssl_note() noexcept {
  if (g_armed.load(std::memory_order_relaxed) && !ops_thread())
    g_openssl_allocations.fetch_add(1, std::memory_order_relaxed);
}
void* openssl_malloc(std::size_t n, const char*, int) {
  openssl_note();
  return std::malloc(n);
}
void* openssl_realloc(void* p, std::size_t n, const char*, int) {
  openssl_note();
  return std::realloc(p, n);
}
void openssl_free(void* p, const char*, int) { std::free(p); }
const bool g_openssl_hooked = CRYPTO_set_mem_functions(openssl_malloc, openssl_realloc, openssl_free) == 1;
}  // namespace

void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

namespace tp {
namespace {

const std::string kSample = std::string(TP_SOURCE_DIR) + "/samples/binance-btcusdt-3200.pcap";

void arm(void*) noexcept { g_armed.store(true, std::memory_order_relaxed); }
void disarm(void*) noexcept { g_armed.store(false, std::memory_order_relaxed); }

struct Outcome {
  uint64_t allocations;
  std::size_t first_size;
  RunReport report;
};

Outcome replay_counting(const std::string& config, ReplayMode mode, PipelineLatency* latency) {
  const Config cfg = load_config_file(std::string(TP_SOURCE_DIR) + "/" + config);
  ReplayOptions opt;
  opt.captures = {kSample};
  opt.mode = mode;
  opt.journal_path = (std::filesystem::temp_directory_path() / "tickpipe-alloc-test.jsonl").string();
  opt.latency = latency;
  opt.probe.warm = &arm;
  opt.probe.stages_done = &disarm;
  opt.probe.warm_after_messages = 500;
  g_allocations.store(0);
  g_first_size.store(0);
  Outcome out{0, 0, run_replay(cfg, opt)};
  disarm(nullptr);
  out.allocations = g_allocations.load();
  out.first_size = g_first_size.load();
  std::filesystem::remove(opt.journal_path);
  return out;
}

TEST(PipelineAllocations, CountingWorks) {
  g_allocations.store(0);
  arm(nullptr);
  auto p = std::make_unique<int>(1);
  disarm(nullptr);
  EXPECT_EQ(g_allocations.load(), 1u);
  EXPECT_EQ(*p, 1);
}

struct Case {
  const char* config;
  ReplayMode mode;
  bool latency;
};

class PipelineAllocations : public ::testing::TestWithParam<Case> {};

TEST_P(PipelineAllocations, NoneAfterWarmUp) {
  const Case c = GetParam();
  TscClock::init();
  auto lat = std::make_unique<PipelineLatency>();
  const Outcome o = replay_counting(c.config, c.mode, c.latency ? lat.get() : nullptr);
  EXPECT_EQ(o.allocations, 0u) << "first allocation after warm-up: " << o.first_size << " bytes";
  // The run did real work after the warm-up: every event, and orders.
  EXPECT_EQ(o.report.events, 3199u);
  EXPECT_GT(o.report.gateway.orders, 0u);
  if (c.latency) {
    EXPECT_GT(lat->tick_to_trade.count(), 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Modes, PipelineAllocations,
    ::testing::Values(Case{"config/sample.toml", ReplayMode::Deterministic, false},
                      Case{"config/sample.toml", ReplayMode::Threaded, false},
                      Case{"config/bench.toml", ReplayMode::Deterministic, true},
                      Case{"config/bench.toml", ReplayMode::Threaded, true}),
    [](const ::testing::TestParamInfo<Case>& i) {
      std::string name = std::string(i.param.mode == ReplayMode::Threaded ? "Threaded" : "Deterministic") +
                         (i.param.latency ? "BenchConfigWithLatency" : "SampleConfig");
      return name;
    });

// A live session on the receive path: WsConnection (TLS too) -> framer -> normalizer -> rings.
struct LiveCase {
  ReplayMode mode;
  bool tls;
};

class LiveAllocations : public ::testing::TestWithParam<LiveCase> {};

TEST_P(LiveAllocations, NoneAfterWarmUp) {
  ASSERT_TRUE(g_openssl_hooked) << "OpenSSL's allocations must be counted too";
  const LiveCase c = GetParam();
  testing::TempDir dir;
  std::vector<std::string> args{"--messages", std::string(TP_SOURCE_DIR) + "/tests/data/binance/spot_btcusdt_20240808_head400.txt",
                                "--repeat", "5", "--rate", "4000", "--ping-ms", "100"};
  testing::TlsCertFiles cert;
  if (c.tls) {
    cert = testing::make_localhost_cert(dir.path());
    args.push_back("--tls");
    args.push_back(cert.pem_pair());
  }
  testing::WsMarketServer server(args);
  std::string toml = testing::read_file(std::string(TP_SOURCE_DIR) + "/config/sample.toml");
  toml += "\n[live]\nurl = \"" + server.url("/stream") + "\"\nstale_after_ms = 10000\n";
  if (c.tls) toml += "ca_file = \"" + cert.cert + "\"\n";
  const Config cfg = parse_config(toml, "live.toml");
  ReplayOptions opt;
  opt.mode = c.mode;
  opt.journal_path = dir / "j.jsonl";
  opt.probe.warm = &arm;
  opt.probe.stages_done = &disarm;
  opt.probe.warm_after_messages = 500;
  g_allocations.store(0);
  g_first_size.store(0);
  g_openssl_allocations.store(0);
  LiveRunOptions live;
  live.duration_seconds = 1.2;  // 2,000 messages at 4,000/s, then idle pings
  const RunReport rep = run_live(cfg, opt, live);
  disarm(nullptr);
  EXPECT_EQ(g_allocations.load(), 0u) << "first allocation after warm-up: " << g_first_size.load() << " bytes";
  const uint64_t ossl = g_openssl_allocations.load();
  if (!c.tls) {
    EXPECT_EQ(ossl, 0u);
  } else {
    // The TLS record layer of OpenSSL 3.0 (above): bounded by the records, never growing with time.
    std::printf("OpenSSL allocations after warm-up: %llu for %llu messages\n", static_cast<unsigned long long>(ossl),
                static_cast<unsigned long long>(rep.normalize.messages()));
    EXPECT_LE(ossl, rep.normalize.messages()) << "more than one OpenSSL allocation per message";
  }
  EXPECT_GE(rep.normalize.messages(), 1500u) << "the session did real work after the warm-up";
  ASSERT_TRUE(rep.live.has_value());
  EXPECT_EQ(rep.live->stats.connects, 1u);
  EXPECT_GT(rep.decode[feed::DecodeCounter::ws_control_frame], 0u) << "pings were answered on the way";
}

INSTANTIATE_TEST_SUITE_P(Live, LiveAllocations,
                         ::testing::Values(LiveCase{ReplayMode::Deterministic, false},
                                           LiveCase{ReplayMode::Threaded, false},
                                           LiveCase{ReplayMode::Deterministic, true},
                                           LiveCase{ReplayMode::Threaded, true}),
                         [](const ::testing::TestParamInfo<LiveCase>& i) {
                           return std::string(i.param.mode == ReplayMode::Threaded ? "Threaded" : "Deterministic") +
                                  (i.param.tls ? "Tls" : "Plain");
                         });

// A live session whose orders go over FIX 4.4 (issue 12): the order path (FixVenue::submit: ClOrdID,
// NewOrderSingle, store, send) and the report path (framer, ExecutionReport, fills on ring C) make
// no allocation either. The exchange (tests/peers/fix_exchange) is another process: not counted.
TEST(FixAllocations, NoneAfterWarmUp) {
  testing::TempDir dir;
  testing::WsMarketServer server({"--messages", std::string(TP_SOURCE_DIR) + "/tests/data/binance/spot_btcusdt_20240808_head400.txt",
                                  "--repeat", "10", "--rate", "8000"});
  testing::FixExchange exchange({"--store-dir", dir / "venue-store", "--price", "61000.5", "--fill", "partial:2",
                                 "--commission-bps", "7.5", "--max-seconds", "60"});
  std::string toml = testing::read_file(std::string(TP_SOURCE_DIR) + "/config/bench.toml");
  toml += "\n[live]\nurl = \"" + server.url("/stream") + "\"\nstale_after_ms = 10000\n";
  toml += "[exec]\nvenue = \"fix\"\n[fix]\nport = " + std::to_string(exchange.port()) +
          "\nsender_comp_id = \"CLIENT1\"\ntarget_comp_id = \"EXECUTOR\"\nstore_dir = \"" + dir / "fix-store" + "\"\n";
  const Config cfg = parse_config(toml, "live.toml");
  ReplayOptions opt;
  opt.mode = ReplayMode::Threaded;
  opt.journal_path = dir / "j.jsonl";
  opt.probe.warm = &arm;
  opt.probe.stages_done = &disarm;
  opt.probe.warm_after_messages = 500;
  g_allocations.store(0);
  g_first_size.store(0);
  LiveRunOptions live;
  // 4,000 messages at 8,000/s: the recording is played out well within the run on a loaded machine
  // (the order count is set by the data: two orders per play of the recording).
  live.duration_seconds = 3.0;
  const RunReport rep = run_live(cfg, opt, live);
  disarm(nullptr);
  ASSERT_TRUE(rep.fix.has_value());
  const auto& f = *rep.fix;
  const std::string seen = "messages " + std::to_string(rep.normalize.messages()) + ", orders sent " +
                           std::to_string(f.venue.orders_sent) + ", fills " + std::to_string(f.venue.fills) +
                           ", state " + f.state + ", last error '" + f.last_error + "'";
  EXPECT_EQ(g_allocations.load(), 0u) << "first allocation after warm-up: " << g_first_size.load() << " bytes; "
                                      << seen;
  // The strategy sends while no order of its symbol is in flight, so how many orders the recording
  // makes depends on how fast the exchange's fills come back: 20 in a Release build, 8 under ASan.
  // The warm-up ends after 500 of the 4,000 messages; several orders mean the measured part traded.
  EXPECT_GE(f.venue.orders_sent, 4u) << "the session traded after the warm-up; " << seen;
  EXPECT_GE(f.venue.fills, 4u) << seen;
  EXPECT_EQ(f.state, "stopped") << seen;
}

}  // namespace
}  // namespace tp
