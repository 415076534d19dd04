#include "app/latency_report.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "cli_runner.hpp"

namespace tp {
namespace {

using H = LatencyHistogram;

LatencySnapshot snapshot_of(std::initializer_list<uint64_t> values) {
  auto h = std::make_unique<H>();
  for (uint64_t v : values) h->record(v);
  return h->snapshot();
}

LatencySnapshot range_snapshot(uint64_t first, uint64_t last, uint64_t step) {
  auto h = std::make_unique<H>();
  for (uint64_t v = first; v <= last; v += step) h->record(v);
  return h->snapshot();
}

// decode: 1..100 ns (exact buckets up to 63, then 2 ns wide); tick_to_trade: 1..1000 us.
LatencyReport sample_report() {
  LatencyReport r;
  r.clock_source = "tsc (invariant, 2.995 GHz calibrated)";
  r.wait_strategy = "feed=busy_spin strategy=busy_spin gateway=spin_then_yield";
  r.machine = "Test CPU @ 3.00GHz, 8 cores";
  r.warmup_events = 1'000;
  r.measured_events = 1'100;
  r.stages.push_back({"decode", "bytes available -> message decoded (feed thread)", range_snapshot(1, 100, 1)});
  r.stages.push_back({"tick_to_trade", "bytes available -> order handed to the venue",
                      range_snapshot(1'000, 1'000'000, 1'000)});
  r.stages.push_back({"journal", "never ran", LatencySnapshot{}});
  return r;
}

std::vector<std::string> row_of(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::vector<std::string> cells;
    for (std::string w; words >> w;) cells.push_back(w);
    if (cells.size() == 9 && cells[0] == name) return cells;
  }
  return {};
}

std::size_t occurrences(const std::string& hay, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + 1)) ++n;
  return n;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

void expect_no_non_finite(const std::string& out) {
  const std::string l = lower(out);
  EXPECT_EQ(l.find("nan"), std::string::npos);
  EXPECT_EQ(l.find("inf"), std::string::npos);
}

std::string error_of(void (*write)(const LatencyReport&, const std::string&), const std::string& path) {
  try {
    write(sample_report(), path);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

TEST(LatencyReport, FormatsHumanUnits) {
  EXPECT_EQ(format_latency(0), "0ns");
  EXPECT_EQ(format_latency(812), "812ns");
  EXPECT_EQ(format_latency(9'999), "9999ns");
  EXPECT_EQ(format_latency(10'000), "10.00us");
  EXPECT_EQ(format_latency(12'345), "12.35us") << "rounded half up";
  EXPECT_EQ(format_latency(9'999'994), "9999.99us");
  EXPECT_EQ(format_latency(9'999'995), "10.00ms") << "the unit follows the rounded value";
  EXPECT_EQ(format_latency(12'340'000), "12.34ms");
  EXPECT_EQ(format_latency(12'345'678'901), "12.35s");
  EXPECT_EQ(format_latency(std::numeric_limits<uint64_t>::max()), "18446744073.71s");
}

TEST(LatencyReport, TextHasHeaderAndOneRowPerStage) {
  const LatencyReport r = sample_report();
  std::ostringstream out;
  print_latency_report(r, out);
  const std::string text = out.str();
  EXPECT_NE(text.find(r.clock_source), std::string::npos);
  EXPECT_NE(text.find(r.wait_strategy), std::string::npos);
  EXPECT_NE(text.find(r.machine), std::string::npos);
  EXPECT_NE(text.find("1100 measured, 1000 warm-up (excluded)"), std::string::npos);
  EXPECT_NE(text.find("bytes available -> message decoded (feed thread)"), std::string::npos);

  const auto decode = row_of(text, "decode");
  ASSERT_EQ(decode.size(), 9u) << text;
  EXPECT_EQ(decode[1], "100");
  EXPECT_EQ(decode[2], "50ns");   // p50
  EXPECT_EQ(decode[3], "91ns");   // p90: the 90th value's bucket is [90, 91]; its upper bound
  EXPECT_EQ(decode[4], "99ns");   // p99: bucket [98, 99]
  EXPECT_EQ(decode[5], "100ns");  // p99.9: bucket [100, 101] clamped to max
  EXPECT_EQ(decode[7], "100ns");  // max
  EXPECT_EQ(decode[8], "51ns");   // mean 50.5, rounded half up

  const auto t2t = row_of(text, "tick_to_trade");
  ASSERT_EQ(t2t.size(), 9u) << text;
  EXPECT_EQ(t2t[1], "1000");
  // 500 us falls in [499712, 507903], 990 us in [983040, 999423]: the upper bound is reported.
  EXPECT_EQ(t2t[2], "507.90us");
  EXPECT_EQ(t2t[2], format_latency(H::bucket_upper(H::bucket_index(500'000))));
  EXPECT_EQ(t2t[4], "999.42us");
  EXPECT_EQ(t2t[7], "1000.00us");
  EXPECT_EQ(t2t[8], "500.50us");

  const auto journal = row_of(text, "journal");
  ASSERT_EQ(journal.size(), 9u) << text;
  EXPECT_EQ(journal[1], "0");
  for (std::size_t i = 2; i < 9; ++i) EXPECT_EQ(journal[i], "-");
}

TEST(LatencyReport, JsonCarriesEveryField) {
  const LatencyReport r = sample_report();
  // Through text, as a reader of the file would see it.
  const nlohmann::json j = nlohmann::json::parse(latency_report_json(r).dump());
  EXPECT_EQ(j["clock_source"], r.clock_source);
  EXPECT_EQ(j["wait_strategy"], r.wait_strategy);
  EXPECT_EQ(j["machine"], r.machine);
  EXPECT_EQ(j["warmup_events"], 1'000u);
  EXPECT_EQ(j["measured_events"], 1'100u);
  ASSERT_EQ(j["stages"].size(), 3u);

  for (std::size_t i = 0; i < r.stages.size(); ++i) {
    const LatencySnapshot& s = r.stages[i].hist;
    const nlohmann::json& st = j["stages"][i];
    EXPECT_EQ(st["name"], r.stages[i].name);
    EXPECT_EQ(st["description"], r.stages[i].description);
    EXPECT_EQ(st["count"].get<uint64_t>(), s.count);
    EXPECT_EQ(st["min_ns"].get<uint64_t>(), s.min);
    EXPECT_EQ(st["max_ns"].get<uint64_t>(), s.max);
    EXPECT_DOUBLE_EQ(st["mean_ns"].get<double>(), s.mean());
    EXPECT_EQ(st["p50_ns"].get<uint64_t>(), s.percentile(0.5));
    EXPECT_EQ(st["p90_ns"].get<uint64_t>(), s.percentile(0.9));
    EXPECT_EQ(st["p99_ns"].get<uint64_t>(), s.percentile(0.99));
    EXPECT_EQ(st["p999_ns"].get<uint64_t>(), s.percentile(0.999));
    EXPECT_EQ(st["p9999_ns"].get<uint64_t>(), s.percentile(0.9999));
    EXPECT_TRUE(st["p50_ns"].is_number_integer());

    LatencySnapshot rebuilt;  // the buckets alone must give back the histogram
    for (const auto& b : st["buckets"]) {
      ASSERT_EQ(b.size(), 3u);
      const uint64_t lo = b[0].get<uint64_t>(), hi = b[1].get<uint64_t>(), n = b[2].get<uint64_t>();
      const std::size_t idx = H::bucket_index(lo);
      EXPECT_EQ(H::bucket_upper(idx), hi);
      EXPECT_GT(n, 0u) << "only non-empty buckets are listed";
      rebuilt.counts[idx] = n;
    }
    EXPECT_EQ(rebuilt.counts, s.counts);
  }
  EXPECT_EQ(j["stages"][0]["p50_ns"], 50u);
  EXPECT_EQ(j["stages"][0]["buckets"][0], nlohmann::json::array({1, 1, 1}));
  EXPECT_TRUE(j["stages"][2]["buckets"].empty());
  EXPECT_EQ(j["stages"][2]["mean_ns"].get<double>(), 0.0);
}

TEST(LatencyReport, HtmlIsSelfContainedWithOnePlotPerMeasuredStage) {
  const std::string html = latency_html(sample_report());
  const std::string l = lower(html);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_EQ(l.find("http://"), std::string::npos);
  EXPECT_EQ(l.find("https://"), std::string::npos);
  EXPECT_EQ(l.find("<script"), std::string::npos);
  EXPECT_EQ(l.find("<link"), std::string::npos);
  EXPECT_EQ(l.find("url("), std::string::npos);
  EXPECT_EQ(occurrences(html, "<svg"), occurrences(html, "</svg>"));
  // decode and tick_to_trade have samples, journal has none.
  EXPECT_EQ(occurrences(html, "class=\"stage-percentiles\""), 2u);
  EXPECT_EQ(occurrences(html, "class=\"stage-histogram\""), 2u);
  EXPECT_EQ(occurrences(html, "class=\"all-percentiles\""), 1u);
  EXPECT_NE(html.find("no samples"), std::string::npos);
  // The table: same cells as the text report.
  EXPECT_NE(html.find("<td>507.90us</td>"), std::string::npos);
  EXPECT_NE(html.find("<td>99ns</td>"), std::string::npos);
  for (const char* tick : {"90%", "99%", "99.9%", "50%"}) EXPECT_NE(html.find(tick), std::string::npos) << tick;
  expect_no_non_finite(html);
  EXPECT_LT(html.size(), 200'000u);
}

TEST(LatencyReport, HtmlEscapesText) {
  LatencyReport r;
  r.clock_source = "steady_clock";
  r.machine = "<b>box</b>";
  r.stages.push_back({"a<b&c", "say \"hi\" & <go>", snapshot_of({100, 200, 300})});
  r.stages.push_back({"second", "", snapshot_of({1'000})});
  const std::string html = latency_html(r);
  EXPECT_EQ(html.find("a<b&c"), std::string::npos);
  EXPECT_NE(html.find("a&lt;b&amp;c"), std::string::npos);
  EXPECT_NE(html.find("say &quot;hi&quot; &amp; &lt;go&gt;"), std::string::npos);
  EXPECT_EQ(html.find("<b>box</b>"), std::string::npos);
  EXPECT_NE(html.find("&lt;b&gt;box&lt;/b&gt;"), std::string::npos);
  // The combined plot's legend names both stages.
  const std::size_t all = html.find("class=\"all-percentiles\"");
  ASSERT_NE(all, std::string::npos);
  const std::string combined = html.substr(all, html.find("</svg>", all) - all);
  EXPECT_NE(combined.find(">a&lt;b&amp;c</text>"), std::string::npos);
  EXPECT_NE(combined.find(">second</text>"), std::string::npos);
}

TEST(LatencyReport, DegenerateStagesProduceFiniteOutput) {
  LatencyReport empty;
  empty.stages.push_back({"idle", "", LatencySnapshot{}});
  const std::string none = latency_html(empty);
  EXPECT_EQ(none.find("<svg"), std::string::npos);
  expect_no_non_finite(none);
  expect_no_non_finite(latency_report_json(empty).dump());
  std::ostringstream text;
  print_latency_report(empty, text);
  expect_no_non_finite(text.str());

  LatencyReport odd;
  odd.stages.push_back({"zero", "", snapshot_of({0})});
  odd.stages.push_back({"one", "", snapshot_of({7})});
  odd.stages.push_back({"same", "", snapshot_of({1'000, 1'000, 1'000})});
  odd.stages.push_back({"huge", "", snapshot_of({0, std::numeric_limits<uint64_t>::max()})});
  const std::string html = latency_html(odd);
  EXPECT_EQ(occurrences(html, "class=\"stage-percentiles\""), 4u);
  expect_no_non_finite(html);
  const std::string l = lower(html);
  EXPECT_EQ(l.find("-nan"), std::string::npos);
  EXPECT_EQ(html.find("e+"), std::string::npos) << "coordinates are plain decimals";
}

TEST(LatencyReport, WritesFilesAndNamesThePathOnFailure) {
  testing::TempDir dir;
  const LatencyReport r = sample_report();
  write_latency_json(r, dir / "lat.json");
  write_latency_html(r, dir / "lat.html");
  std::ifstream jf(dir / "lat.json");
  EXPECT_EQ(nlohmann::json::parse(jf)["stages"].size(), 3u);
  std::ifstream hf(dir / "lat.html");
  std::stringstream body;
  body << hf.rdbuf();
  EXPECT_EQ(body.str(), latency_html(r));

  const std::string bad = dir / "no-such-dir/lat.json";
  EXPECT_NE(error_of(write_latency_json, bad).find(bad), std::string::npos);
  EXPECT_NE(error_of(write_latency_html, bad + ".html").find(bad + ".html"), std::string::npos);
}

}  // namespace
}  // namespace tp
