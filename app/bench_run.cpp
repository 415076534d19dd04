#include "app/bench_run.hpp"

#include <fstream>
#include <memory>

#include "core/threads/thread_affinity.hpp"
#include "core/timing/tsc_clock.hpp"
#include "core/threads/wait_strategy.hpp"

namespace tp {
namespace {

// "AMD EPYC 9R14 (2 CPUs online, 2 allowed)": /proc/cpuinfo's model name and the CPU counts.
std::string describe_machine() {
  std::string model = "unknown CPU";
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("model name", 0) == 0) {
      if (const auto colon = line.find(':'); colon != std::string::npos && colon + 2 <= line.size()) {
        model = line.substr(colon + 2);
      }
      break;
    }
  }
  return model + " (" + std::to_string(online_cpu_count()) + " CPUs online, " +
         std::to_string(allowed_cpus().size()) + " allowed)";
}

// The stages of `lat` as a report (names and what each measures), merged off the hot path.
LatencyReport latency_report_of(const PipelineLatency& lat, const ThreadsConfig& threads, ReplayMode mode) {
  LatencyReport r;
  r.clock_source = TscClock::describe();
  r.machine = describe_machine();
  if (mode == ReplayMode::Threaded) {
    r.wait_strategy = std::string("feed=") + wait_kind_name(threads.feed_wait) +
                      " strategy=" + wait_kind_name(threads.strategy_wait) +
                      " gateway=" + wait_kind_name(threads.gateway_wait);
  } else {
    r.wait_strategy = "none (deterministic: one thread)";
  }
  r.warmup_events = lat.warmup_messages;
  auto stage = [&](const char* name, const char* what, const LatencyHistogram& h) {
    r.stages.push_back(LatencyStage{name, what, h.snapshot()});
  };
  stage("decode", "bytes available -> message decoded (feed thread)", lat.decode);
  stage("to_strategy", "bytes available -> event taken by the strategy (decode + ring A)", lat.to_strategy);
  stage("strategy", "event taken -> decision made, every event (strategy thread)", lat.strategy);
  stage("to_gateway", "decision -> order taken by the gateway (ring B)", lat.to_gateway);
  stage("gateway", "order taken -> checked and handed to the venue (gateway thread)", lat.gateway);
  stage("tick_to_trade", "bytes available -> order handed to the venue", lat.tick_to_trade);
  r.measured_events = r.stages[1].hist.count;
  return r;
}

}  // namespace

RunReport run_measured(const Config& cfg, ReplayOptions opt, uint64_t warmup_messages) {
  TscClock::init();
  auto lat = std::make_unique<PipelineLatency>();  // ~100 KiB of histograms: not on the stack
  lat->warmup_messages = warmup_messages;
  opt.latency = lat.get();
  RunReport rep = run_replay(cfg, opt);
  rep.latency = latency_report_of(*lat, cfg.threads, opt.mode);
  return rep;
}

RunReport run_bench(const Config& cfg, const BenchOptions& opt) {
  ReplayOptions ro;
  for (int i = 0; i < opt.repeat; ++i) ro.captures.insert(ro.captures.end(), opt.captures.begin(), opt.captures.end());
  ro.mode = opt.mode;
  ro.packet_rate = opt.packet_rate;
  ro.journal_path = opt.journal_path;
  ro.config_path = opt.config_path;
  return run_measured(cfg, ro, opt.warmup_messages);
}

}  // namespace tp
