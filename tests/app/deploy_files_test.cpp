// The files in deploy/ checked by the tools that will read them: Prometheus's promtool (the scrape
// configuration, the alert rules and their unit tests, tickpipe-alerts.test.yml) and systemd-analyze
// (the unit), plus what the unit must say for production (Type=notify with the watchdog, memory
// locking, the capabilities, no restart after a configuration error) and that each start of it
// names a new journal. promtool comes from Debian's `prometheus` package and systemd-analyze from
// `systemd`; scripts/setup.sh installs both. A missing promtool fails these tests; a missing
// systemd-analyze skips only the unit's syntax check.
#include <gtest/gtest.h>

#include <ctime>
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

#include "cli_runner.hpp"

namespace tp {
namespace {

using testing::CliResult;
using testing::read_file;
using testing::run_command;
using testing::split_lines;
using testing::TempDir;
using testing::write_file;

std::string source_path(const char* relative) {
  std::string p(TP_SOURCE_DIR);
  p.append("/");
  p.append(relative);
  return p;
}

const std::string kRules = source_path("deploy/prometheus/tickpipe-alerts.yml");
const std::string kRuleTests = source_path("deploy/prometheus/tickpipe-alerts.test.yml");
const std::string kPrometheusConfig = source_path("deploy/prometheus/prometheus.yml");
const std::string kUnit = source_path("deploy/systemd/tickpipe.service");

// One word for sh, whatever it holds.
std::string sh_quote(const std::string& word) {
  std::string q("'");
  for (const char c : word) {
    if (c == '\'') q.append("'\\''");
    else q.push_back(c);
  }
  q.push_back('\'');
  return q;
}

std::string command_line(std::initializer_list<std::string> words) {
  std::string cmd;
  for (const std::string& w : words) {
    if (!cmd.empty()) cmd.push_back(' ');
    cmd.append(sh_quote(w));
  }
  return cmd;
}

bool on_path(const char* tool) {
  std::string cmd("command -v ");
  cmd.append(tool);
  cmd.append(" >/dev/null");
  return run_command(cmd).status == 0;
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
}

// Runs promtool with `args`; a failure shows the command and everything promtool said.
void expect_promtool_succeeds(std::initializer_list<std::string> args, const char* success_text) {
  if (!on_path("promtool"))
    FAIL() << "promtool is not installed: apt-get install prometheus (scripts/setup.sh installs it)";
  std::string cmd("promtool ");
  cmd.append(command_line(args));
  const CliResult r = run_command(cmd);
  EXPECT_EQ(r.status, 0) << cmd << "\n" << r.output;
  EXPECT_NE(r.output.find(success_text), std::string::npos) << cmd << "\n" << r.output;
}

TEST(DeployFiles, AlertRulesPassPromtoolCheckRules) {
  expect_promtool_succeeds({"check", "rules", kRules}, "SUCCESS: 10 rules found");
  const std::string rules = read_file(kRules);
  for (const char* alert : {"TickpipeDown", "TickpipeSymbolStale", "TickpipeFeedDown", "TickpipeHalted",
                            "TickpipeReducing", "TickpipeStageStalled", "TickpipeReconnectStorm",
                            "TickpipeTickToTradeSlow", "TickpipeRingNearlyFull", "TickpipeRejects"}) {
    std::string line("- alert: ");
    line.append(alert);
    line.push_back('\n');
    EXPECT_NE(rules.find(line), std::string::npos) << alert;
  }
}

// check config also loads rule_files, resolved relative to prometheus.yml.
TEST(DeployFiles, PrometheusConfigPassesPromtoolCheckConfig) {
  expect_promtool_succeeds({"check", "config", kPrometheusConfig}, "SUCCESS: 1 rule files found");
}

// The alerts fire (and stay quiet) as tickpipe-alerts.test.yml says, with those labels and annotations.
TEST(DeployFiles, AlertRuleUnitTestsPassPromtoolTestRules) {
  expect_promtool_succeeds({"test", "rules", kRuleTests}, "SUCCESS");
}

// The unit's settings (Key -> value; continuation lines joined as systemd joins them, the backslash
// becoming a space; comments skipped). A key given twice keeps its last value.
std::map<std::string, std::string> unit_settings(const std::string& text) {
  std::map<std::string, std::string> out;
  std::string pending;
  for (const std::string& raw : split_lines(text)) {
    const bool continued = !pending.empty();
    if (!continued && (raw.empty() || raw[0] == '#' || raw[0] == ';' || raw[0] == '[')) continue;
    std::string line = raw;
    const bool more = !line.empty() && line.back() == '\\';
    if (more) line.back() = ' ';
    pending.append(line);
    if (more) continue;
    const std::size_t eq = pending.find('=');
    if (eq != std::string::npos) out[pending.substr(0, eq)] = pending.substr(eq + 1);
    pending.clear();
  }
  return out;
}

std::vector<std::string> words_of(const std::string& value) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < value.size()) {
    while (i < value.size() && value[i] == ' ') ++i;
    std::size_t j = i;
    while (j < value.size() && value[j] != ' ') ++j;
    if (j > i) out.push_back(value.substr(i, j - i));
    i = j;
  }
  return out;
}

bool has_word(const std::string& value, const std::string& word) {
  for (const std::string& w : words_of(value))
    if (w == word) return true;
  return false;
}

TEST(DeployFiles, SystemdUnitSaysWhatProductionNeeds) {
  const std::string text = read_file(kUnit);
  ASSERT_FALSE(text.empty()) << kUnit;
  auto s = unit_settings(text);
  EXPECT_EQ(s["Type"], "notify");
  EXPECT_EQ(s["NotifyAccess"], "main");
  EXPECT_FALSE(s["WatchdogSec"].empty());
  EXPECT_EQ(s["Restart"], "on-failure");
  EXPECT_TRUE(has_word(s["RestartPreventExitStatus"], "2")) << s["RestartPreventExitStatus"];
  EXPECT_FALSE(s["RestartSec"].empty());
  EXPECT_FALSE(s["StartLimitIntervalSec"].empty());
  EXPECT_FALSE(s["StartLimitBurst"].empty());
  EXPECT_EQ(s["KillSignal"], "SIGTERM");
  EXPECT_FALSE(s["TimeoutStopSec"].empty());
  EXPECT_EQ(s["SendSIGKILL"], "yes");
  EXPECT_EQ(s["LimitMEMLOCK"], "infinity");
  for (const char* key : {"AmbientCapabilities", "CapabilityBoundingSet"}) {
    EXPECT_TRUE(has_word(s[key], "CAP_SYS_NICE")) << key << "=" << s[key];
    EXPECT_TRUE(has_word(s[key], "CAP_IPC_LOCK")) << key << "=" << s[key];
  }
  EXPECT_FALSE(s["CPUAffinity"].empty());
  EXPECT_EQ(s["User"], "tickpipe");
  EXPECT_EQ(s["StateDirectory"], "tickpipe");
  EXPECT_EQ(s["EnvironmentFile"], "-/etc/tickpipe/tickpipe.env");
  EXPECT_EQ(s["NoNewPrivileges"], "yes");
  EXPECT_EQ(s["ProtectSystem"], "strict");
  EXPECT_EQ(s["ProtectHome"], "yes");
  EXPECT_EQ(s["PrivateTmp"], "yes");
  EXPECT_TRUE(has_word(s["ReadWritePaths"], "/var/lib/tickpipe")) << s["ReadWritePaths"];
  const std::string& exec = s["ExecStart"];
  EXPECT_NE(exec.find("/usr/local/bin/tickpipe live"), std::string::npos) << exec;
  EXPECT_NE(exec.find("-c /etc/tickpipe/tickpipe.toml"), std::string::npos) << exec;
  EXPECT_NE(exec.find("--journal /var/lib/tickpipe/"), std::string::npos) << exec;
}

// What systemd hands to the program from an ExecStart value: %% is %, $$ is $. Anything else after a
// % or a $ (a specifier, a variable) is beyond this emulation and fails the test.
std::string systemd_unescape(const std::string& value) {
  std::string out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (c == '%' || c == '$') {
      if (i + 1 < value.size() && value[i + 1] == c) {
        out.push_back(c);
        ++i;
        continue;
      }
      ADD_FAILURE() << "ExecStart uses a systemd specifier or variable at offset " << i << ": " << value;
    }
    out.push_back(c);
  }
  return out;
}

std::string utc_day() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y%m%d", &tm);
  return buf;
}

// The journal named by ExecStart for one start: its shell script run with `echo` in tickpipe's place.
std::string journal_of_one_start(const std::string& script) {
  std::string cmd("sh -c ");
  cmd.append(sh_quote(script));
  const CliResult r = run_command(cmd);
  EXPECT_EQ(r.status, 0) << cmd << "\n" << r.output;
  const std::vector<std::string> lines = split_lines(r.output);
  const std::vector<std::string> argv = words_of(lines.empty() ? std::string() : lines[0]);
  EXPECT_EQ(argv.empty() ? std::string() : argv[0], "live") << r.output;
  for (std::size_t i = 0; i + 1 < argv.size(); ++i)
    if (argv[i] == "--journal") return argv[i + 1];
  ADD_FAILURE() << "no --journal in: " << r.output;
  return {};
}

// A restart or the next day's start must not overwrite an earlier journal: every start names a new
// one, with the UTC date in it. The unit builds the name in /bin/sh (systemd cannot put a date into
// ExecStart); this runs that script as the shell would receive it.
TEST(DeployFiles, EachStartOfTheUnitNamesANewJournal) {
  const std::string exec = unit_settings(read_file(kUnit))["ExecStart"];
  const std::string prefix("/bin/sh -c '");
  if (exec.rfind(prefix, 0) != 0 || exec.size() <= prefix.size() || exec.back() != '\'')
    GTEST_SKIP() << "ExecStart does not run /bin/sh -c '...'; nothing to emulate: " << exec;
  std::string script = systemd_unescape(exec.substr(prefix.size(), exec.size() - prefix.size() - 1));
  ASSERT_EQ(script.find('\''), std::string::npos) << script;
  ASSERT_NE(script.find("exec /usr/local/bin/tickpipe live"), std::string::npos) << script;
  replace_all(script, "/usr/local/bin/tickpipe", "echo");
  const std::string before = utc_day();
  const std::string first = journal_of_one_start(script);
  const std::string second = journal_of_one_start(script);
  const std::string after = utc_day();
  EXPECT_EQ(first.rfind("/var/lib/tickpipe/journal-", 0), 0U) << first;
  EXPECT_TRUE(first.find(before) != std::string::npos || first.find(after) != std::string::npos)
      << first << " does not hold today's UTC date";
  EXPECT_NE(first, second) << "two starts would write the same journal";
}

// The unit parses: systemd-analyze verify on a copy (ExecStart's tickpipe pointed at the binary built
// here, so every program it names exists on this machine). The `tickpipe` user need not exist here:
// verify does not look users up, and any complaint about User=/Group= is not held against the file.
TEST(DeployFiles, SystemdUnitPassesSystemdAnalyzeVerify) {
  if (!on_path("systemd-analyze"))
    GTEST_SKIP() << "systemd-analyze is not installed (apt-get install systemd): the unit's syntax is not checked";
  std::string unit = read_file(kUnit);
  ASSERT_FALSE(unit.empty()) << kUnit;
  replace_all(unit, "/usr/local/bin/tickpipe", TP_TICKPIPE_BIN);
  TempDir good;
  TempDir bad;
  write_file(good / "tickpipe.service", unit);
  std::string broken = unit;
  replace_all(broken, "\nType=notify\n", "\nType=notify-or-not\n");
  ASSERT_NE(broken, unit);
  write_file(bad / "tickpipe.service", broken);

  auto complaints = [](const CliResult& r) {
    std::string out;
    for (const std::string& line : split_lines(r.output)) {
      if (line.find("tickpipe.service") == std::string::npos) continue;  // about another unit
      if (line.find("User") != std::string::npos || line.find("Group") != std::string::npos) continue;
      out.append(line);
      out.push_back('\n');
    }
    return out;
  };
  // A control: where verify cannot load units (some containers), it says nothing about a broken one
  // either, and this test cannot tell anything.
  const CliResult control = run_command(command_line({"systemd-analyze", "verify", "--man=no", bad / "tickpipe.service"}));
  if (complaints(control).empty())
    GTEST_SKIP() << "systemd-analyze verify does not check units in this environment:\n" << control.output;

  const std::string cmd = command_line({"systemd-analyze", "verify", "--man=no", good / "tickpipe.service"});
  const CliResult r = run_command(cmd);
  EXPECT_EQ(complaints(r), "") << cmd << "\n" << r.output;
  EXPECT_EQ(r.status, 0) << cmd << "\n" << r.output;
}

}  // namespace
}  // namespace tp
