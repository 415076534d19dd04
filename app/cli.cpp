#include "app/cli.hpp"

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>

#include "app/replay_engine.hpp"
#include "app/run_report.hpp"
#include "app/version.hpp"
#include "core/config.hpp"

namespace tp {
namespace {

namespace fs = std::filesystem;

constexpr const char* kSampleCapture = "samples/binance-btcusdt-3200.pcap";
constexpr const char* kSampleConfig = "config/sample.toml";
constexpr const char* kDefaultJournal = "tickpipe-journal.jsonl";

// The bundled sample lives in the source tree; a binary run from anywhere finds it there, or
// relative to the current directory (a copied tree).
std::string bundled(const char* rel) {
  const fs::path in_source = fs::path(TICKPIPE_SOURCE_DIR) / rel;
  if (fs::exists(in_source)) return in_source.string();
  return rel;
}

struct ReplayArgs {
  std::vector<std::string> captures;
  std::string config;
  std::string mode = "deterministic";
  std::string speed = "max";
  std::string journal = kDefaultJournal;
  std::string report;
  std::string dump;
  bool resume = false;
};

int replay(const ReplayArgs& a) {
  ReplayOptions opt;
  std::string config_path = a.config;
  opt.captures = a.captures;
  if (opt.captures.empty()) {
    opt.captures.push_back(bundled(kSampleCapture));
    if (config_path.empty()) config_path = bundled(kSampleConfig);
  }
  if (config_path.empty()) {
    std::cerr << "tickpipe replay: -c CONFIG is required when a capture is given\n";
    return 2;
  }
  if (!parse_speed(a.speed, opt.speed)) {
    std::cerr << "tickpipe replay: --speed " << a.speed << ": expected max, realtime or <N>x (e.g. 10x, 0.5x)\n";
    return 2;
  }
  opt.mode = a.mode == "threaded" ? ReplayMode::Threaded : ReplayMode::Deterministic;
  opt.journal_path = a.journal;
  if (!a.dump.empty()) opt.dump_messages_path = a.dump;
  opt.config_path = config_path;
  opt.resume = a.resume;

  Config cfg;
  try {
    cfg = load_config_file(config_path);
  } catch (const ConfigError& e) {
    std::cerr << "tickpipe: configuration error: " << e.what() << "\n";
    return 2;
  }

  RunReport rep;
  try {
    rep = run_replay(cfg, opt);
  } catch (const ConfigError& e) {
    std::cerr << "tickpipe: configuration error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "tickpipe: replay failed: " << e.what() << "\n";
    return 1;
  }
  print_report(rep, std::cout);
  if (!a.report.empty()) {
    try {
      write_report_json(rep, a.report);
    } catch (const std::exception& e) {
      std::cerr << "tickpipe: " << e.what() << "\n";
      return 1;
    }
  }
  return 0;
}

}  // namespace

int run_cli(int argc, char** argv) {
  CLI::App app{"tickpipe: a low-latency trading engine (replay, live, bench)", "tickpipe"};
  app.set_version_flag("--version", version_string());
  app.require_subcommand(1);

  ReplayArgs ra;
  CLI::App* rp = app.add_subcommand("replay", "Replay pcap captures through feed -> strategy -> gateway");
  rp->add_option("captures", ra.captures, "pcap/pcapng files, replayed in order (default: the bundled sample)");
  rp->add_option("-c,--config", ra.config, "TOML configuration (default with no capture: config/sample.toml)");
  rp->add_option("--mode", ra.mode, "deterministic (one thread, reproducible journal) or threaded")
      ->check(CLI::IsMember({"deterministic", "threaded"}));
  rp->add_option("--speed", ra.speed, "max (default), realtime, or <N>x: pace by capture timestamps");
  rp->add_option("--journal", ra.journal, "journal file (JSON lines)")->capture_default_str();
  rp->add_option("--report", ra.report, "also write the report as JSON to this file");
  rp->add_option("--dump-messages", ra.dump, "write every decoded message, one per line, to this file");
  rp->add_flag("--resume", ra.resume,
               "continue --journal from its last checkpoint after a crash (deterministic mode; same capture and config)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }
  if (rp->parsed()) return replay(ra);
  return 2;
}

}  // namespace tp
