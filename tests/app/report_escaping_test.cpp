// Outside bytes never reach the operator's terminal raw (issue 9): the text report escapes samples
// of malformed input, symbol names, paths and warnings with printable() (core/types/printable.hpp).
#include <gtest/gtest.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "../feed/capture_writer.hpp"
#include "app/latency_report.hpp"
#include "app/run_report.hpp"
#include "cli_runner.hpp"

namespace tp {
namespace {

using testing::read_file;
using testing::run_tickpipe;
using testing::TempDir;
using testing::write_file;

// ESC ] 0 ; title BEL sets the window title; ESC [ 2 J clears the screen; 0x9b is the 8-bit CSI.
const std::string kTitle = "\x1b]0;pwned\x07";
const std::string kClear = "\x1b[2J\x1b[H";

// The first byte that is a control character (other than '\n'), DEL or not ASCII; npos if none.
std::size_t first_unsafe(const std::string& s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b == '\n') continue;
    if (b < 0x20 || b >= 0x7f) return i;
  }
  return std::string::npos;
}

std::string around(const std::string& s, std::size_t at) {
  const std::size_t from = at < 40 ? 0 : at - 40;
  return "byte " + std::to_string(static_cast<unsigned char>(s[at])) + " at " + std::to_string(at) + " in \"" +
         s.substr(from, 80) + "\"";
}

void add_sample(RunReport& r, feed::DropReason reason, const std::string& bytes, std::size_t size) {
  r.normalize.count_drop(reason, bytes.data(), size, 1);
}

TEST(ReportEscaping, PrintReportEscapesEveryOutsideText) {
  RunReport r;
  r.mode = "deterministic";
  r.captures = {"/tmp/" + kTitle + ".pcap", "caps/\x9b" "31mred.pcap"};
  r.config_path = "cfg/" + kClear + ".toml";
  r.journal_path = "j\r\x1b[1A.jsonl";
  SymbolReport s;
  s.name = kTitle + "BTC";
  r.symbols.push_back(s);
  s.name = "\xc3\xa9\x7f\x1b[5m";
  r.symbols.push_back(s);
  const std::string garbage = kClear + kTitle + "{\"e\":\"bookTicker\x07\"}\xff\xfe\\";
  add_sample(r, feed::DropReason{}, garbage, garbage.size());
  std::string big(feed::kDropSampleBytes + 50, '\x1b');
  add_sample(r, feed::DropReason{}, big, big.size());
  r.warnings = {"cannot pin to CPU 7: " + kTitle, "bell\a"};
  LatencyReport lat;
  lat.clock_source = "tsc";
  lat.wait_strategy = "busy_spin";
  lat.machine = "Evil CPU " + kTitle;
  r.latency = lat;

  std::ostringstream os;
  print_report(r, os);
  const std::string out = os.str();
  const std::size_t bad = first_unsafe(out);
  EXPECT_EQ(bad, std::string::npos) << around(out, bad) << "\n" << out;

  // What was escaped is still there, readable and unambiguous.
  EXPECT_NE(out.find("capture:  /tmp/\\x1b]0;pwned\\x07.pcap\n"), std::string::npos) << out;
  EXPECT_NE(out.find("capture:  caps/\\x9b31mred.pcap\n"), std::string::npos) << out;
  EXPECT_NE(out.find("config:   cfg/\\x1b[2J\\x1b[H.toml\n"), std::string::npos) << out;
  EXPECT_NE(out.find("journal:  j\\x0d\\x1b[1A.jsonl ("), std::string::npos) << out;
  EXPECT_NE(out.find("\\x1b]0;pwned\\x07BTC"), std::string::npos) << out;
  EXPECT_NE(out.find("\\xc3\\xa9\\x7f\\x1b[5m"), std::string::npos) << out;
  EXPECT_NE(out.find(": \\x1b[2J\\x1b[H\\x1b]0;pwned\\x07{\"e\":\"bookTicker\\x07\"}\\xff\\xfe\\\\\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("\\x1b\\x1b\\x1b"), std::string::npos) << "the truncated sample too: " << out;
  EXPECT_NE(out.find("warning: cannot pin to CPU 7: \\x1b]0;pwned\\x07\n"), std::string::npos) << out;
  EXPECT_NE(out.find("warning: bell\\x07\n"), std::string::npos) << out;
  EXPECT_NE(out.find("machine:        Evil CPU \\x1b]0;pwned\\x07\n"), std::string::npos) << out;
}

TEST(ReportEscaping, JsonReportEscapesControlCharacters) {
  TempDir dir;
  RunReport r;
  r.mode = "deterministic";
  r.journal_path = "j" + kTitle;
  SymbolReport s;
  s.name = kTitle;
  r.symbols.push_back(s);
  add_sample(r, feed::DropReason{}, kClear, kClear.size());
  r.warnings = {"w" + kClear};
  write_report_json(r, dir / "r.json");
  const std::string text = read_file(dir / "r.json");
  const std::size_t bad = first_unsafe(text);
  EXPECT_EQ(bad, std::string::npos) << around(text, bad);
  const auto j = nlohmann::json::parse(text);
  EXPECT_EQ(j["symbols"][0]["symbol"], kTitle) << "JSON escapes, the value round-trips";
  EXPECT_EQ(j["journal"]["path"], "j" + kTitle);
  EXPECT_EQ(j["warnings"][0], "w" + kClear);

  // Bytes that are not UTF-8 (a path may hold any) do not make the report fail: U+FFFD.
  r.journal_path = "j\xff\xfe";
  ASSERT_NO_THROW(write_report_json(r, dir / "r2.json"));
  EXPECT_EQ(nlohmann::json::parse(read_file(dir / "r2.json"))["journal"]["path"], "j\xef\xbf\xbd\xef\xbf\xbd");
}

// End to end: a configuration whose symbol name carries terminal controls and a capture of UDP
// datagrams whose JSON is garbage with terminal controls in it. The report on stdout stays clean.
TEST(ReportEscaping, ReplayOfAHostileCaptureAndConfigPrintsNoControlBytes) {
  namespace cw = feed::test::cw;
  TempDir dir;
  write_file(dir / "c.toml",
             "[[symbols]]\nname = \"BTCUSDT\"\nlot_step = \"0.00001\"\n"
             "[[symbols]]\nname = \"\\u001b]0;pwned\\u0007\"\nlot_step = \"1\"\n");
  const cw::Endpoint src = cw::ep4(10, 0, 0, 1, 9000), dst = cw::ep4(10, 0, 0, 2, 9001);
  std::vector<cw::Packet> pkts;
  int64_t ts = 1'723'100'000'000'000'000;
  for (const std::string& payload :
       {kClear + kTitle, "{\"e\":\"" + kTitle + "\",\"s\":\"BTCUSDT\"}",
        "{\"stream\":\"x\",\"data\":{\"e\":\"trade\",\"s\":\"" + kClear + "\"}}", std::string("\x9b\xff\x07\x08\x7f")}) {
    const std::string ip = cw::ipv4_packet(src, dst, cw::proto::kUdp, cw::udp_header_and_payload(src, dst, payload));
    pkts.push_back(cw::Packet{ts += 1000, cw::frame(cw::Link::Ethernet, ip, false)});
  }
  write_file(dir / "hostile.pcap", cw::pcap_file(cw::linktype(cw::Link::Ethernet), false, pkts));

  const auto r = run_tickpipe("replay " + dir / "hostile.pcap" + " -c " + dir / "c.toml" + " --journal " + dir / "j" +
                              " --report " + dir / "r.json");
  EXPECT_EQ(r.status, 0) << r.output;
  const std::size_t bad = first_unsafe(r.output);
  EXPECT_EQ(bad, std::string::npos) << around(r.output, bad) << "\n" << r.output;
  EXPECT_NE(r.output.find("\\x1b]0;pwned\\x07"), std::string::npos) << "the symbol row, escaped: " << r.output;
  EXPECT_NE(r.output.find("e.g. "), std::string::npos) << "the capture's garbage is sampled: " << r.output;
  EXPECT_NE(r.output.find("\\x1b[2J"), std::string::npos) << r.output;
}

TEST(ReportEscaping, ADirectoryAsTheConfigIsAConfigurationError) {
  TempDir dir;
  const auto r = run_tickpipe("replay " + std::string(TP_SOURCE_DIR) + "/samples/binance-btcusdt-3200.pcap -c " +
                              dir.path() + " --journal " + dir / "j");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find(dir.path() + ": is a directory"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("missing required key 'symbols'"), std::string::npos) << r.output;
}

TEST(ReportEscaping, ConfigErrorsOnTheTerminalAreEscaped) {
  TempDir dir;
  write_file(dir / "c.toml", "[[symbols]]\nname = \"\\u001b]0;pwned\\u0007\"\nlot_step = \"x\\u001b[2J\"\n");
  const auto r = run_tickpipe("replay " + std::string(TP_SOURCE_DIR) + "/samples/binance-btcusdt-3200.pcap -c " +
                              dir / "c.toml" + " --journal " + dir / "j");
  EXPECT_EQ(r.status, 2) << r.output;
  const std::size_t bad = first_unsafe(r.output);
  EXPECT_EQ(bad, std::string::npos) << around(r.output, bad) << "\n" << r.output;
  EXPECT_NE(r.output.find("symbols[0].lot_step' = \"x\\x1b[2J\""), std::string::npos) << r.output;
}

}  // namespace
}  // namespace tp
