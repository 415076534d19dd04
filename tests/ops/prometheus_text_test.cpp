#include "ops/prometheus_text.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

namespace tp::ops {
namespace {

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

TEST(PrometheusText, FamiliesHaveHelpTypeAndEscapedLabels) {
  PrometheusText t;
  t.counter("tickpipe_x_total", "Line one\nback\\slash \"quoted\".");
  t.sample({{"symbol", "A\"B\\C\nD"}}, uint64_t{7});
  t.gauge("tickpipe_g", "A gauge.");
  t.sample(1.5);
  t.sample({{"a", "1"}, {"b", "2"}}, int64_t{-3});
  t.sample_fixed({{"symbol", "X"}}, -150000001);
  t.sample_fixed({}, 5);
  const auto l = lines(t.text());
  ASSERT_EQ(l.size(), 9u) << t.text();
  EXPECT_EQ(l[0], R"(# HELP tickpipe_x_total Line one\nback\\slash "quoted".)");
  EXPECT_EQ(l[1], "# TYPE tickpipe_x_total counter");
  EXPECT_EQ(l[2], R"(tickpipe_x_total{symbol="A\"B\\C\nD"} 7)");
  EXPECT_EQ(l[4], "# TYPE tickpipe_g gauge");
  EXPECT_EQ(l[5], "tickpipe_g 1.5");
  EXPECT_EQ(l[6], R"(tickpipe_g{a="1",b="2"} -3)");
  EXPECT_EQ(l[7], R"(tickpipe_g{symbol="X"} -1.50000001)");
  EXPECT_EQ(l[8], "tickpipe_g 0.00000005");
}

TEST(PrometheusText, HistogramBucketsAreCumulativeInSecondsAndNeverUnderstate) {
  LatencyHistogram h;
  for (uint64_t v : {50u, 100u, 101u, 900u, 1000u, 1001u, 2'000'000'000u}) h.record(v);
  PrometheusText t;
  t.histogram("tickpipe_lat_seconds", "Latency.");
  t.histogram_sample({{"stage", "decode"}}, h.snapshot());
  const std::string s = t.text();
  // 50 has an exact bucket; 100 and 101 share [100, 101], which ends above 100 ns.
  EXPECT_NE(s.find("tickpipe_lat_seconds_bucket{stage=\"decode\",le=\"1e-07\"} 1\n"), std::string::npos) << s;
  // 900 ns is in a bucket ending at most 3% above it: below 1 us. 1000 and 1001 ns are not.
  EXPECT_NE(s.find("tickpipe_lat_seconds_bucket{stage=\"decode\",le=\"1e-06\"} 4\n"), std::string::npos) << s;
  EXPECT_NE(s.find("tickpipe_lat_seconds_bucket{stage=\"decode\",le=\"2.5e-06\"} 6\n"), std::string::npos) << s;
  EXPECT_NE(s.find("tickpipe_lat_seconds_bucket{stage=\"decode\",le=\"0.1\"} 6\n"), std::string::npos) << s;
  EXPECT_NE(s.find("tickpipe_lat_seconds_bucket{stage=\"decode\",le=\"+Inf\"} 7\n"), std::string::npos) << s;
  EXPECT_NE(s.find("tickpipe_lat_seconds_count{stage=\"decode\"} 7\n"), std::string::npos) << s;
  EXPECT_NE(s.find("tickpipe_lat_seconds_sum{stage=\"decode\"} 2.000003152\n"), std::string::npos) << s;
  // Cumulative: never decreasing.
  uint64_t last = 0;
  for (const auto& l : lines(s)) {
    if (l.find("_bucket") == std::string::npos) continue;
    const uint64_t v = std::stoull(l.substr(l.rfind(' ') + 1));
    EXPECT_GE(v, last) << l;
    last = v;
  }
}

TEST(PrometheusText, AnEmptyHistogramIsAllZero) {
  PrometheusText t;
  t.histogram("tickpipe_h_seconds", "H.");
  t.histogram_sample({}, LatencySnapshot{});
  EXPECT_NE(t.text().find("tickpipe_h_seconds_bucket{le=\"+Inf\"} 0\n"), std::string::npos) << t.text();
  EXPECT_NE(t.text().find("tickpipe_h_seconds_count 0\n"), std::string::npos) << t.text();
}

}  // namespace
}  // namespace tp::ops
