#include "app/cli.hpp"

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "app/bench_run.hpp"
#include "app/cluster_cli.hpp"
#include "app/latency_report.hpp"
#include "app/engine_runner.hpp"
#include "app/run_paths.hpp"
#include "app/run_report.hpp"
#include "app/version.hpp"
#include "core/config/config.hpp"
#include "core/types/printable.hpp"
#include "core/threads/process_signals.hpp"

namespace tp {
namespace {

namespace fs = std::filesystem;

constexpr const char* kSampleCapture = "samples/binance-btcusdt-3200.pcap";
constexpr const char* kSampleConfig = "config/sample.toml";
constexpr const char* kDefaultJournal = "tickpipe-journal.jsonl";
constexpr const char* kBenchConfig = "config/bench.toml";
constexpr const char* kDefaultBenchJournal = "tickpipe-bench-journal.jsonl";

// The bundled sample lives in the source tree; a binary run from anywhere finds it there, or
// relative to the current directory (a copied tree).
std::string bundled(const char* rel) {
  const fs::path in_source = fs::path(TICKPIPE_SOURCE_DIR) / rel;
  if (fs::exists(in_source)) return in_source.string();
  return rel;
}

// A message that quotes paths, capture bytes or journal lines, made safe for the terminal line by
// line (its own line breaks are kept; configuration errors come escaped already).
std::string printable_lines(std::string_view text) {
  std::string out;
  for (std::size_t start = 0;;) {
    const std::size_t nl = text.find('\n', start);
    append_printable(out, text.substr(start, nl == std::string_view::npos ? nl : nl - start));
    if (nl == std::string_view::npos) return out;
    out += '\n';
    start = nl + 1;
  }
}

// A stop signal that arrives before the run starts ends it there: nothing was written.
bool stopped_before_start() {
  const int sig = process_signals::stop_signal();
  if (sig == 0) return false;
  std::cerr << "tickpipe: " << process_signals::signal_name(sig) << " before the run started: nothing was changed\n";
  return true;
}

// Runs `fn`; false when a stop signal ended it before it started producing (said on stderr).
template <typename Fn>
bool until_stopped(Fn&& fn) {
  try {
    fn();
    return true;
  } catch (const StoppedBeforeStart& e) {
    std::cerr << "tickpipe: " << e.what() << "\n";
    return false;
  }
}

// Runs `fn`, turning what it throws into the exit status (SPEC 8): a configuration error is 2, any
// other failure 1 ("tickpipe: <what> failed: ..."). 0 when it returned.
template <typename Fn>
int guarded(const char* what, Fn&& fn) {
  try {
    fn();
    return 0;
  } catch (const ConfigError& e) {
    std::cerr << "tickpipe: configuration error: " << e.what() << "\n";
    return 2;
  } catch (const UsageError& e) {
    std::cerr << "tickpipe: " << printable_lines(e.what()) << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "tickpipe: " << what << " failed: " << printable_lines(e.what()) << "\n";
    return 1;
  }
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
  bool latency = false;
  bool report_given = false;  // given, even as "" (an error, not "no report")
  bool dump_given = false;
};

// The text report goes to standard output; a report that did not arrive is a failed run (exit 1).
int finish_stdout() {
  std::cout.flush();
  if (std::cout) return 0;
  std::cerr << "tickpipe: cannot write the report to standard output: " << std::strerror(errno) << "\n";
  return 1;
}

// The text report on stdout and, with --report, the JSON; 1 when either could not be written.
int print_reports(const RunReport& rep, const std::string& json_path) {
  print_report(rep, std::cout);
  int rc = finish_stdout();
  if (!json_path.empty()) {
    try {
      write_report_json(rep, json_path);
    } catch (const std::exception& e) {
      std::cerr << "tickpipe: " << e.what() << "\n";
      rc = 1;
    }
  }
  return rc;
}

// Every output of a run against every input and every other output, before anything is written.
int check_paths(const RunPaths& paths) {
  return guarded("start-up", [&] { check_run_paths(paths); });
}

RunPaths captures_and_config(const std::vector<std::string>& captures, const std::string& config) {
  RunPaths r;
  for (const auto& c : captures) r.captures.push_back({"capture", c});
  r.inputs.push_back({"-c", config});
  return r;
}

int replay(const ReplayArgs& a, ops::EndpointFactory ops_endpoint) {
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
  opt.ops_endpoint = ops_endpoint;
  opt.journal_path = a.journal;
  if (!a.dump.empty()) opt.dump_messages_path = a.dump;
  opt.config_path = config_path;
  opt.resume = a.resume;

  RunPaths paths = captures_and_config(opt.captures, config_path);
  paths.outputs.push_back({"--journal", a.journal});
  if (a.report_given) paths.outputs.push_back({"--report", a.report});
  if (a.dump_given) paths.outputs.push_back({"--dump-messages", a.dump});
  if (const int rc = check_paths(paths)) return rc;

  Config cfg;
  if (const int rc = guarded("loading the configuration", [&] { cfg = load_config_file(config_path); })) return rc;
  if (stopped_before_start()) return 0;
  RunReport rep;
  bool stopped = false;
  if (const int rc = guarded("replay", [&] {
        stopped = !until_stopped([&] { rep = a.latency ? run_measured(cfg, opt, 0) : run_replay(cfg, opt); });
      }))
    return rc;
  if (stopped) return 0;
  return print_reports(rep, a.report);
}

struct LiveArgs {
  std::string config;
  std::string mode = "threaded";
  std::string journal = kDefaultJournal;
  std::string report;
  std::string dump;
  double duration = 0;
  std::string record;
  bool report_given = false;
  bool dump_given = false;
  bool record_given = false;
};

int live(const LiveArgs& a, ops::EndpointFactory ops_endpoint) {
  ReplayOptions opt;
  opt.mode = a.mode == "deterministic" ? ReplayMode::Deterministic : ReplayMode::Threaded;
  opt.ops_endpoint = ops_endpoint;
  opt.journal_path = a.journal;
  if (!a.dump.empty()) opt.dump_messages_path = a.dump;
  opt.config_path = a.config;
  RunPaths paths;
  paths.inputs.push_back({"-c", a.config});
  paths.outputs.push_back({"--journal", a.journal});
  if (a.report_given) paths.outputs.push_back({"--report", a.report});
  if (a.dump_given) paths.outputs.push_back({"--dump-messages", a.dump});
  if (a.record_given) paths.outputs.push_back({"--record", a.record});
  if (const int rc = check_paths(paths)) return rc;
  LiveRunOptions lro;
  lro.duration_seconds = a.duration;
  lro.record_path = a.record;

  Config cfg;
  if (const int rc = guarded("loading the configuration", [&] { cfg = load_config_file(a.config); })) return rc;
  if (stopped_before_start()) return 0;
  RunReport rep;
  bool stopped = false;
  if (const int rc = guarded("live", [&] { stopped = !until_stopped([&] { rep = run_live(cfg, opt, lro); }); }))
    return rc;
  if (stopped) return 0;
  return print_reports(rep, a.report);
}

struct BenchArgs {
  std::vector<std::string> captures;
  std::string config;
  std::string mode = "threaded";
  std::string journal = kDefaultBenchJournal;
  std::string report;
  std::string html;
  bool report_given = false;
  bool html_given = false;
  int64_t warmup = 1000;
  int repeat = 1;
  double rate = 20000;
};

// FILE.json -> FILE.html (any other name: FILE + ".html").
std::string html_beside(const std::string& json_path) {
  fs::path p(json_path);
  p.replace_extension(".html");
  return p.string() == json_path ? json_path + ".html" : p.string();
}

int bench(const BenchArgs& a) {
  BenchOptions opt;
  std::string config_path = a.config;
  opt.captures = a.captures;
  if (opt.captures.empty()) {
    opt.captures.push_back(bundled(kSampleCapture));
    if (config_path.empty()) config_path = bundled(kBenchConfig);
  }
  if (config_path.empty()) {
    std::cerr << "tickpipe bench: -c CONFIG is required when a capture is given\n";
    return 2;
  }
  opt.config_path = config_path;
  opt.journal_path = a.journal;
  opt.warmup_messages = static_cast<uint64_t>(a.warmup);
  opt.repeat = a.repeat;
  opt.packet_rate = a.rate;
  opt.mode = a.mode == "deterministic" ? ReplayMode::Deterministic : ReplayMode::Threaded;

  const std::string html = a.html_given ? a.html : a.report_given ? html_beside(a.report) : std::string();
  RunPaths paths = captures_and_config(opt.captures, config_path);
  paths.outputs.push_back({"--journal", a.journal});
  if (a.report_given) paths.outputs.push_back({"--report", a.report});
  if (a.report_given || a.html_given) paths.outputs.push_back({a.html_given ? "--html" : "the HTML report", html});
  if (const int rc = check_paths(paths)) return rc;

  Config cfg;
  if (const int rc = guarded("loading the configuration", [&] { cfg = load_config_file(config_path); })) return rc;
  if (stopped_before_start()) return 0;
  RunReport r;
  bool stopped = false;
  if (const int rc = guarded("bench", [&] { stopped = !until_stopped([&] { r = run_bench(cfg, opt); }); })) return rc;
  if (stopped) return 0;
  std::cout << "tickpipe bench: " << r.events << " events, " << r.gateway.orders << " orders ("
            << r.gateway.accepted << " to the venue), " << r.fills << " fills in " << r.wall_seconds << " s ("
            << r.mode << ")\n";
  for (const std::string& w : r.warnings) std::cout << "warning: " << w << "\n";
  if (!r.interrupted_by.empty()) std::cout << "interrupted by " << r.interrupted_by << ": measured what ran\n";
  print_latency_report(*r.latency, std::cout);
  if (const int rc = finish_stdout()) return rc;
  try {
    if (!a.report.empty()) write_latency_json(*r.latency, a.report);
    if (!html.empty()) write_latency_html(*r.latency, html);
  } catch (const std::exception& e) {
    std::cerr << "tickpipe: " << e.what() << "\n";
    return 1;
  }
  if (!a.report.empty()) std::cout << "JSON: " << a.report << "\n";
  if (!html.empty()) std::cout << "HTML: " << html << "\n";
  return 0;
}

}  // namespace

int run_cli(int argc, char** argv, ops::EndpointFactory ops_endpoint) {
  CLI::App app{"tickpipe: a low-latency trading engine (replay, live, bench, cluster)", "tickpipe"};
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
  rp->add_flag("--latency", ra.latency, "time every stage (TSC) and add latency percentiles to the report");
  rp->add_flag("--resume", ra.resume,
               "continue --journal from its last checkpoint after a crash (deterministic mode; same capture and config)");

  LiveArgs la;
  CLI::App* lp = app.add_subcommand("live", "Trade on a venue's live WebSocket feed ([live] in the config; paper trading)");
  lp->add_option("-c,--config", la.config, "TOML configuration with a [live] table")->required();
  lp->add_option("--mode", la.mode, "threaded (default) or deterministic (one thread)")
      ->check(CLI::IsMember({"deterministic", "threaded"}));
  lp->add_option("--journal", la.journal, "journal file (JSON lines)")->capture_default_str();
  lp->add_option("--report", la.report, "also write the report as JSON to this file");
  lp->add_option("--dump-messages", la.dump, "write every message received, one per line, to this file");
  lp->add_option("--record", la.record, "write the session as a pcapng that tickpipe replay reproduces");
  lp->add_option("--duration", la.duration, "stop after this many seconds (default: until SIGINT/SIGTERM)")
      ->check(CLI::Range(0.0, 1e9));

  BenchArgs ba;
  CLI::App* bp = app.add_subcommand("bench", "End-to-end latency run: threaded replay with every stage timed");
  bp->add_option("captures", ba.captures, "pcap/pcapng files (default: the bundled sample with config/bench.toml)");
  bp->add_option("-c,--config", ba.config, "TOML configuration ([threads] sets pinning and wait strategies)");
  bp->add_option("--report", ba.report, "write the latency report as JSON to this file (and HTML beside it)");
  bp->add_option("--html", ba.html, "write the HTML latency report here (default: beside --report)");
  bp->add_option("--warmup", ba.warmup, "messages replayed before measuring")
      ->check(CLI::Validator(
          [](std::string& v) { return !v.empty() && v[0] == '-' ? std::string("must be 0 or more") : std::string(); },
          "N>=0"))
      ->capture_default_str();
  bp->add_option("--repeat", ba.repeat, "replay the captures this many times in one run")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  bp->add_option("--rate", ba.rate,
                 "packets released per second, so each meets an idle pipeline; 0: as fast as possible")
      ->check(CLI::Range(0.0, 1e9))
      ->capture_default_str();
  bp->add_option("--mode", ba.mode, "threaded (default) or deterministic")
      ->check(CLI::IsMember({"deterministic", "threaded"}));
  bp->add_option("--journal", ba.journal, "journal file (JSON lines)")->capture_default_str();

  ClusterCliArgs ca;
  CLI::App* cp = app.add_subcommand("cluster", "The firm's instances in Redis ([cluster]), and the firm-wide kill switch");
  cp->add_option("action", ca.action, "status, or halt | reduce | resume (signed with the admin token)")
      ->required()
      ->check(CLI::IsMember({"status", "halt", "reduce", "resume"}));
  cp->add_option("-c,--config", ca.config, "TOML configuration with a [cluster] table")->required();
  cp->add_flag("--json", ca.json, "status: JSON instead of a table");
  cp->add_option("--by", ca.by, "who gives the command, kept in the firm state (default: $USER@host)");
  cp->add_option("--wait", ca.wait_s, "seconds to wait for every live instance to report the new state")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();

  // CLI11 calls a word that is no subcommand "a subcommand is required": name it instead.
  if (argc > 1 && argv[1][0] != '-' && std::string_view(argv[1]) != "replay" && std::string_view(argv[1]) != "live" &&
      std::string_view(argv[1]) != "bench" && std::string_view(argv[1]) != "cluster") {
    std::cerr << "tickpipe: unknown command '" << printable(argv[1])
              << "' (commands: replay, live, bench, cluster; see --help)\n";
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }
  if (rp->parsed()) {
    ra.report_given = rp->count("--report") != 0;
    ra.dump_given = rp->count("--dump-messages") != 0;
    if (rp->count("-c") != 0 && ra.config.empty()) {
      std::cerr << "tickpipe replay: -c: the path is empty\n";
      return 2;
    }
    return replay(ra, ops_endpoint);
  }
  if (lp->parsed()) {
    la.report_given = lp->count("--report") != 0;
    la.dump_given = lp->count("--dump-messages") != 0;
    la.record_given = lp->count("--record") != 0;
    return live(la, ops_endpoint);
  }
  if (cp->parsed()) return cluster_cli(ca, std::cout, std::cerr);
  if (bp->parsed()) {
    ba.report_given = bp->count("--report") != 0;
    ba.html_given = bp->count("--html") != 0;
    if (bp->count("-c") != 0 && ba.config.empty()) {
      std::cerr << "tickpipe bench: -c: the path is empty\n";
      return 2;
    }
    return bench(ba);
  }
  return 2;
}

}  // namespace tp
