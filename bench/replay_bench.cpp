// Deterministic replay throughput (messages/s) against the limit: a bare loop that only reads the
// same capture with libpcap and parses each message with simdjson ondemand (issue 3's target:
// the engine at >= 0.7x of that loop). The engine run is the real one: run_replay() with the
// whole decode -> normalize -> strategy -> gateway -> journal pipeline.
//
// The captures are 2,000 messages each; the benchmark first writes a long capture (the same packets
// kRepeats times over, timestamps shifted so time keeps moving forward) and both loops read that one
// file. The engine's time is the replay only (RunReport::wall_seconds): building the pipeline is
// start-up work, done once per run of tickpipe, not per message.
#include <benchmark/benchmark.h>
#include <pcap/pcap.h>
#include <simdjson.h>
#include <stdio_ext.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "app/engine_runner.hpp"
#include "core/config/config.hpp"

namespace {

constexpr int kRepeats = 50;
const std::string kData = std::string(TP_SOURCE_DIR) + "/tests/data/derived-loopback/";
const std::string kUdp = kData + "binance_spot_udp_json_30001.pcap";
const std::string kWsPlain = kData + "binance_spot_ws_plain_8080.pcap";
const std::string kWsDeflate = kData + "binance_spot_ws_permessage_deflate_9001.pcap";
const std::string kSample = std::string(TP_SOURCE_DIR) + "/samples/binance-btcusdt-3200.pcap";

// Writes `src` kRepeats times into one pcap with libpcap's own writer; returns its path.
std::string long_capture(const std::string& src) {
  const std::string out = (std::filesystem::temp_directory_path() /
                           ("tickpipe-bench-" + std::filesystem::path(src).stem().string() + ".pcap"))
                              .string();
  char errbuf[PCAP_ERRBUF_SIZE];
  pcap_t* in = pcap_open_offline_with_tstamp_precision(src.c_str(), PCAP_TSTAMP_PRECISION_NANO, errbuf);
  if (in == nullptr) return src;
  pcap_t* dead = pcap_open_dead_with_tstamp_precision(pcap_datalink(in), 262144, PCAP_TSTAMP_PRECISION_NANO);
  pcap_dumper_t* d = pcap_dump_open(dead, out.c_str());
  std::vector<std::pair<pcap_pkthdr, std::string>> pkts;
  pcap_pkthdr* h;
  const u_char* data;
  while (pcap_next_ex(in, &h, &data) == 1) pkts.emplace_back(*h, std::string(reinterpret_cast<const char*>(data), h->caplen));
  pcap_close(in);
  // For TCP captures a repeated connection would be a retransmission; only UDP is repeated.
  const int reps = pcap_datalink(dead) == DLT_EN10MB && src.find("udp") != std::string::npos ? kRepeats : 1;
  for (int r = 0; r < reps; ++r) {
    for (auto& [hdr, bytes] : pkts) {
      pcap_pkthdr copy = hdr;
      copy.ts.tv_sec += r * 3600;
      pcap_dump(reinterpret_cast<u_char*>(d), &copy, reinterpret_cast<const u_char*>(bytes.data()));
    }
  }
  pcap_dump_close(d);
  pcap_close(dead);
  return out;
}

tp::Config bench_config() {
  return tp::parse_config(R"(
[venue]
format = "binance"
[[symbols]]
name = "BTCUSDT"
lot_step = "0.00001"
[journal]
fsync = "never"  # the benchmark measures the pipeline, not the disk
)",
                          "bench");
}

void BM_EngineReplay(benchmark::State& state, const std::string& capture) {
  const tp::Config cfg = bench_config();
  tp::ReplayOptions opt;
  opt.captures = {long_capture(capture)};
  opt.mode = tp::ReplayMode::Deterministic;
  opt.journal_path = (std::filesystem::temp_directory_path() / "tickpipe-bench-journal.jsonl").string();
  uint64_t messages = 0;
  for (auto _ : state) {
    const tp::RunReport r = tp::run_replay(cfg, opt);
    messages += r.normalize.messages();
    state.SetIterationTime(r.wall_seconds);
  }
  state.SetItemsProcessed(static_cast<int64_t>(messages));
  std::filesystem::remove(opt.journal_path);
}

// The limit for the UDP capture: libpcap reads each packet, the UDP payload (after fixed
// Ethernet/IPv4/UDP headers, checked) is copied into a padded buffer and parsed with simdjson
// ondemand, touching every field of the "data" object. No framing, no symbol lookup, no numbers.
// `tuned_stream`: libpcap reads from a stream opened the way PcapReader opens it (a 256 KiB stdio
// buffer, no stream locking), so the engine's own I/O tuning is not counted as pipeline speed.
void bare_loop(benchmark::State& state, bool tuned_stream) {
  simdjson::ondemand::parser parser;
  std::vector<char> buf(1 << 16);
  std::vector<char> stream_buf(1 << 18);
  char errbuf[PCAP_ERRBUF_SIZE];
  uint64_t messages = 0;
  const std::string capture = long_capture(kUdp);
  for (auto _ : state) {
    {
      pcap_t* p = nullptr;
      if (tuned_stream) {
        FILE* fp = std::fopen(capture.c_str(), "rb");
        if (fp != nullptr) {
          std::setvbuf(fp, stream_buf.data(), _IOFBF, stream_buf.size());
          __fsetlocking(fp, FSETLOCKING_BYCALLER);
          p = pcap_fopen_offline(fp, errbuf);
        }
      } else {
        p = pcap_open_offline(capture.c_str(), errbuf);
      }
      if (p == nullptr) {
        state.SkipWithError(errbuf);
        return;
      }
      pcap_pkthdr* h;
      const u_char* data;
      while (pcap_next_ex(p, &h, &data) == 1) {
        if (h->caplen < 42) continue;
        const std::size_t ihl = (data[14] & 0x0f) * 4u;
        const std::size_t off = 14 + ihl + 8;
        if (h->caplen <= off) continue;
        const std::size_t len = h->caplen - off;
        std::memcpy(buf.data(), data + off, len);
        simdjson::ondemand::document doc;
        if (parser.iterate(buf.data(), len, buf.size()).get(doc)) continue;
        simdjson::ondemand::object d;
        if (doc["data"].get_object().get(d)) continue;
        std::size_t touched = 0;
        for (auto field : d) {
          std::string_view raw;
          if (!field.value().raw_json_token().get(raw)) touched += raw.size();
        }
        benchmark::DoNotOptimize(touched);
        ++messages;
      }
      pcap_close(p);
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(messages));
}

}  // namespace

void BM_BarePcapSimdjsonLoop(benchmark::State& state) { bare_loop(state, false); }
void BM_BarePcapSimdjsonLoopTunedStream(benchmark::State& state) { bare_loop(state, true); }

BENCHMARK(BM_BarePcapSimdjsonLoop)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_BarePcapSimdjsonLoopTunedStream)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_EngineReplay, udp, kUdp)->Unit(benchmark::kMillisecond)->UseManualTime();
BENCHMARK_CAPTURE(BM_EngineReplay, ws_plain, kWsPlain)->Unit(benchmark::kMillisecond)->UseManualTime();
BENCHMARK_CAPTURE(BM_EngineReplay, ws_deflate, kWsDeflate)->Unit(benchmark::kMillisecond)->UseManualTime();
BENCHMARK_CAPTURE(BM_EngineReplay, sample, kSample)->Unit(benchmark::kMillisecond)->UseManualTime();

BENCHMARK_MAIN();
