#include "ops/prometheus_text.hpp"

#include <array>
#include <charconv>
#include <cinttypes>
#include <cmath>
#include <cstdio>

namespace tp::ops {

void PrometheusText::family(std::string_view name, std::string_view help, std::string_view type) {
  name_.assign(name);
  out_.append("# HELP ").append(name).push_back(' ');
  append_escaped(help, /*help=*/true);
  out_.append("\n# TYPE ").append(name).push_back(' ');
  out_.append(type).push_back('\n');
}

void PrometheusText::append_escaped(std::string_view v, bool help) {
  for (const char c : v) {
    if (c == '\\') out_.append("\\\\");
    else if (c == '\n') out_.append("\\n");
    else if (c == '"' && !help) out_.append("\\\"");
    else out_.push_back(c);
  }
}

void PrometheusText::series(std::string_view suffix, Labels labels, std::string_view extra_key,
                            std::string_view extra_value) {
  out_.append(name_).append(suffix);
  if (labels.size() == 0 && extra_key.empty()) {
    out_.push_back(' ');
    return;
  }
  out_.push_back('{');
  bool first = true;
  auto label = [&](std::string_view k, std::string_view v) {
    if (!first) out_.push_back(',');
    first = false;
    out_.append(k).append("=\"");
    append_escaped(v, /*help=*/false);
    out_.push_back('"');
  };
  for (const auto& [k, v] : labels) label(k, v);
  if (!extra_key.empty()) label(extra_key, extra_value);
  out_.append("} ");
}

void PrometheusText::sample(Labels labels, uint64_t value) {
  series("", labels);
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, value);
  out_.append(buf, r.ptr).push_back('\n');
}

void PrometheusText::sample(Labels labels, int64_t value) {
  series("", labels);
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, value);
  out_.append(buf, r.ptr).push_back('\n');
}

namespace {
void append_double(std::string& out, double v) {
  if (std::isnan(v)) {
    out.append("NaN");
  } else if (std::isinf(v)) {
    out.append(v > 0 ? "+Inf" : "-Inf");
  } else {
    char buf[40];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);  // shortest round-trip form
    out.append(buf, r.ptr);
  }
}
}  // namespace

void PrometheusText::sample(Labels labels, double value) {
  series("", labels);
  append_double(out_, value);
  out_.push_back('\n');
}

void PrometheusText::sample_fixed(Labels labels, int64_t fixed) {
  series("", labels);
  // Exact decimal text of fixed / 1e8 (Prometheus parses it as a float64).
  const bool neg = fixed < 0;
  const uint64_t mag = neg ? 0 - static_cast<uint64_t>(fixed) : static_cast<uint64_t>(fixed);
  char buf[40];
  const int n = std::snprintf(buf, sizeof buf, "%s%" PRIu64 ".%08" PRIu64, neg ? "-" : "", mag / 100000000u,
                              mag % 100000000u);
  out_.append(buf, static_cast<std::size_t>(n)).push_back('\n');
}

void PrometheusText::histogram_sample(Labels labels, const LatencySnapshot& s) {
  static constexpr std::array<uint64_t, 19> kBoundsNs = {
      100,     250,     500,      1'000,    2'500,    5'000,     10'000,     25'000,     50'000,     100'000,
      250'000, 500'000, 1'000'000, 2'500'000, 5'000'000, 10'000'000, 25'000'000, 50'000'000, 100'000'000};
  std::array<uint64_t, kBoundsNs.size()> cumulative{};
  uint64_t total = 0;
  std::size_t b = 0;
  for (std::size_t i = 0; i < s.counts.size(); ++i) {
    const uint64_t c = s.counts[i];
    if (c == 0) continue;
    total += c;
    const uint64_t upper = LatencyHistogram::bucket_upper(i);
    while (b < kBoundsNs.size() && kBoundsNs[b] < upper) ++b;
    if (b < kBoundsNs.size()) cumulative[b] += c;
  }
  uint64_t running = 0;
  for (std::size_t k = 0; k < kBoundsNs.size(); ++k) {
    running += cumulative[k];
    std::string le;
    append_double(le, static_cast<double>(kBoundsNs[k]) / 1e9);
    series("_bucket", labels, "le", le);
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, running);
    out_.append(buf, r.ptr).push_back('\n');
  }
  series("_bucket", labels, "le", "+Inf");
  {
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, total);
    out_.append(buf, r.ptr).push_back('\n');
  }
  series("_sum", labels);
  append_double(out_, static_cast<double>(s.sum) / 1e9);
  out_.push_back('\n');
  series("_count", labels);
  {
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, total);
    out_.append(buf, r.ptr).push_back('\n');
  }
}

}  // namespace tp::ops
