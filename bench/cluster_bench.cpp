// The cluster link (ops/cluster/, docs/cluster.md) against a real redis-server started here
// (tests/peers/redis_server.hpp, 127.0.0.1, no persistence), with scripted engines
// (tests/ops/scripted_engine.hpp) behind N ClusterLinks in this process.
//
//   BM_FirmHaltLatency/instances:N/heartbeat_ms:H
//       One iteration: every instance ACTIVE at day P&L 0, the firm limit armed; then one
//       instance's day P&L jumps past the firm's limit (the breaching event) and the clock runs
//       until every one of the N links has handed a halt to its engine. That is: the breaching
//       instance's next heartbeat (up to H ms: P&L is read on the heartbeat), the firm script in
//       Redis, the PUBLISH, and each link's read of the firm state. Manual time = that latency;
//       counters p50_ms, p99_ms, max_ms over the iterations, and its two parts: detect (until
//       Redis holds HALTED, polled from here every 100 us) and spread (from there until every
//       engine has its halt). The reset before each iteration ends just after a heartbeat (the
//       re-arm), so detect is close to the worst case, one heartbeat.
//   BM_FirmSyncScript/instances:N
//       One heartbeat's firm script (sum over N registered instances) from one connection.
//   BM_JournalStreamThroughput/instances:N
//       N links each stream a 50,000-line journal file (real journal lines, ~190 bytes) into their
//       own Redis Stream; time until every stream holds every line. records_per_second is the
//       aggregate one Redis took.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "../tests/ops/scripted_engine.hpp"
#include "../tests/peers/redis_server.hpp"
#include "core/types/decimal.hpp"
#include "ops/cluster/cluster_auth.hpp"
#include "ops/cluster/cluster_keys.hpp"
#include "ops/cluster/cluster_link.hpp"
#include "ops/cluster/cluster_scripts.hpp"

namespace {

using namespace std::chrono_literals;
using tp::ops::AdminAction;
using tp::ops::ClusterLink;
using tp::testing::ScriptedEngine;
using Clock = std::chrono::steady_clock;

constexpr const char* kToken = "bench-token";

tp::ClusterConfig config_for(const tp::testing::RedisServer& redis, const std::string& name, int64_t heartbeat_ms) {
  tp::ClusterConfig c;
  c.present = true;
  c.redis_url = redis.url();
  std::string why;
  c.redis = *tp::parse_redis_url(c.redis_url, why);
  c.instance = name;
  tp::parse_fixed("1000", c.firm_daily_loss_limit);
  c.heartbeat_ms = heartbeat_ms;
  c.instance_ttl_ms = std::max<int64_t>(3000, 4 * heartbeat_ms);
  c.timeout_ms = 1000;
  return c;
}

// "<prefix><i>", appended: GCC 12 misreads "s" + std::string (a false -Wrestrict).
std::string numbered(const char* prefix, uint64_t i) {
  std::string s = prefix;
  s += std::to_string(i);
  return s;
}

template <class Pred>
bool wait_until(Pred pred, std::chrono::milliseconds within) {
  const auto end = Clock::now() + within;
  while (!pred()) {
    if (Clock::now() >= end) return false;
    std::this_thread::sleep_for(100us);
  }
  return true;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

void BM_FirmHaltLatency(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const int64_t hb = state.range(1);
  tp::testing::RedisServer redis;
  const tp::ops::ClusterKeys keys("tickpipe");
  std::vector<std::unique_ptr<ScriptedEngine>> engines;
  std::vector<std::unique_ptr<ClusterLink>> links;
  for (std::size_t i = 0; i < n; ++i) {
    engines.push_back(std::make_unique<ScriptedEngine>());
    links.push_back(std::make_unique<ClusterLink>(
        tp::ops::ClusterLinkOptions{config_for(redis, numbered("i", i), hb), "", kToken, "", true}, *engines.back()));
    links.back()->start();
  }
  if (!wait_until([&] { return links.back()->status().firm_live_instances.load() == n; }, 10s)) {
    state.SkipWithError("the instances did not all register");
    return;
  }
  std::vector<double> ms, detect_ms, spread_ms;
  for (auto _ : state) {
    // Reset (not timed): P&L back to 0, the firm resumed by a signed operator command, the limit
    // re-armed, every engine ACTIVE.
    for (auto& e : engines) e->set_day_pnl("0");
    const std::string gen = redis.command({"HGET", keys.firm_state, "gen"});
    const std::string g = gen == "(nil)" ? "0" : gen;
    if (g != "0") {
      const std::string sig = tp::ops::firm_command_signature(kToken, "tickpipe", "ACTIVE", g, "bench", "0");
      redis.command({"EVAL", tp::ops::kFirmCommandScript, "2", keys.firm_state, keys.firm_events, "ACTIVE", g, "bench",
                     "0", sig, keys.channel});
    }
    const bool reset = wait_until(
        [&] {
          if (redis.command({"HGET", keys.firm_state, "armed"}) == "0") return false;
          for (auto& e : engines)
            if (e->state() != "ACTIVE") return false;
          return true;
        },
        10s);
    if (!reset) {
      state.SkipWithError("the firm did not come back to ACTIVE and armed");
      return;
    }
    std::vector<std::size_t> halts;
    for (auto& e : engines) halts.push_back(e->count(AdminAction::Halt));
    const auto t0 = Clock::now();
    engines[0]->set_day_pnl("-1000.01");  // the breaching event
    // The firm state in Redis turns HALTED at the breaching instance's next heartbeat.
    wait_until([&] { return redis.command({"HGET", keys.firm_state, "state"}) == "HALTED"; }, 10s);
    const auto t_detected = Clock::now();
    const bool all = wait_until(
        [&] {
          for (std::size_t i = 0; i < n; ++i)
            if (engines[i]->count(AdminAction::Halt) == halts[i]) return false;
          return true;
        },
        10s);
    const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    if (!all) {
      state.SkipWithError("not every instance halted within 10 s");
      return;
    }
    state.SetIterationTime(secs);
    ms.push_back(secs * 1e3);
    detect_ms.push_back(std::chrono::duration<double, std::milli>(t_detected - t0).count());
    spread_ms.push_back(secs * 1e3 - detect_ms.back());
  }
  for (auto& l : links) l->stop(0ms);
  state.counters["p50_ms"] = percentile(ms, 0.50);
  state.counters["p99_ms"] = percentile(ms, 0.99);
  state.counters["max_ms"] = percentile(ms, 1.0);
  // The two parts: until Redis holds HALTED (the breaching instance's next heartbeat), and from
  // there until every instance's engine has the halt (PUBLISH, each link's read of the firm state).
  state.counters["detect_p50_ms"] = percentile(detect_ms, 0.50);
  state.counters["spread_p50_ms"] = percentile(spread_ms, 0.50);
  state.counters["spread_p99_ms"] = percentile(spread_ms, 0.99);
}
BENCHMARK(BM_FirmHaltLatency)
    ->ArgNames({"instances", "heartbeat_ms"})
    ->Args({3, 20})
    ->Args({8, 20})
    ->Args({3, 200})
    ->Args({8, 200})
    ->Iterations(40)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

void BM_JournalStreamThroughput(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  constexpr uint64_t kLines = 50'000;
  tp::testing::RedisServer redis;
  const std::string path = redis.work_dir() + "/journal.jsonl";
  {
    std::ofstream j(path);
    for (uint64_t i = 1; i <= kLines; ++i) {
      j << R"({"event":"fill","ts":1723161255308000000,"client_order_id":)" << i
        << R"(,"symbol":"BTCUSDT","side":"sell","qty":"0.15000000","price":"61837.63000000","fee":"9.27564450"})" << "\n";
    }
  }
  uint64_t run = 0;
  for (auto _ : state) {
    ++run;
    std::vector<std::unique_ptr<ScriptedEngine>> engines;
    std::vector<std::unique_ptr<ClusterLink>> links;
    for (std::size_t i = 0; i < n; ++i) {
      engines.push_back(std::make_unique<ScriptedEngine>());
      // A fresh journal: each run's stream starts empty (the previous one is archived; deleted
      // below, outside the timing).
      links.push_back(std::make_unique<ClusterLink>(
          tp::ops::ClusterLinkOptions{config_for(redis, numbered("s", i), 200), "", "", path, true},
          *engines.back()));
    }
    const auto t0 = Clock::now();
    for (auto& l : links) l->start();
    const bool done = wait_until(
        [&] {
          for (auto& l : links)
            if (l->status().stream_acked.load() != kLines) return false;
          return true;
        },
        120s);
    const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    for (auto& l : links) l->stop(0ms);
    if (!done) {
      state.SkipWithError("the streams did not fill within 120 s");
      return;
    }
    state.SetIterationTime(secs);
    redis.command({"FLUSHALL"});
  }
  state.counters["records_per_second"] =
      benchmark::Counter(static_cast<double>(kLines * n * run), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_JournalStreamThroughput)
    ->ArgName("instances")
    ->Arg(1)
    ->Arg(4)
    ->Arg(8)
    ->Iterations(3)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

// One heartbeat's firm script with N instances registered (N - 1 of them planted as live), from one
// connection: round trip plus the script, whose work grows with N. The projection in
// docs/cluster.md ("How far it scales") multiplies this by N instances x (1000 / heartbeat_ms).
void BM_FirmSyncScript(benchmark::State& state) {
  const auto n = state.range(0);
  tp::testing::RedisServer redis;
  const tp::ops::ClusterKeys keys("tickpipe");
  tp::ClusterConfig cfg = config_for(redis, "i0", 200);
  cfg.instance_ttl_ms = 3'600'000;
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch()).count();
  for (int64_t i = 1; i < n; ++i) {
    const std::string name = numbered("i", static_cast<uint64_t>(i));
    redis.command({"HSET", keys.firm_pnl, name, "-100000000"});
    redis.command({"HSET", keys.firm_seen, name, std::to_string(now_ms)});
  }
  tp::ops::RedisConnection c(cfg.redis, "", std::chrono::milliseconds(1000));
  const std::string sha = c.command({"SCRIPT", "LOAD", tp::ops::kFirmSyncScript}).str;
  const std::vector<std::string> args{"EVALSHA", sha, "5", keys.instance("i0"), keys.firm_pnl, keys.firm_seen,
                                      keys.firm_state, keys.firm_events, "i0", std::to_string(cfg.instance_ttl_ms),
                                      std::to_string(cfg.firm_daily_loss_limit), keys.channel, "0", "state", "ACTIVE",
                                      "day_pnl", "0", "positions", "[]"};
  for (auto _ : state) {
    const tp::ops::RedisReply r = c.command(args);
    if (r.type != tp::ops::RedisReply::Type::Array) {
      state.SkipWithError(("firm script: " + r.describe()).c_str());
      return;
    }
    if (r.elements[3].integer != n) {
      state.SkipWithError("the script did not count every instance");
      return;
    }
  }
  state.counters["scripts_per_second"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_FirmSyncScript)->ArgName("instances")->Arg(3)->Arg(100)->Arg(1000)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
