#include "app/latency_report.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string_view>

#include "core/types/printable.hpp"

namespace tp {
namespace {

struct Column {
  const char* label;
  const char* json_key;
  double q;
};
constexpr std::array<Column, 5> kPercentiles{{{"p50", "p50_ns", 0.5},
                                              {"p90", "p90_ns", 0.9},
                                              {"p99", "p99_ns", 0.99},
                                              {"p99.9", "p999_ns", 0.999},
                                              {"p99.99", "p9999_ns", 0.9999}}};

uint64_t div_round(uint64_t v, uint64_t d) { return v / d + (v % d >= d - v % d ? 1 : 0); }

// Integer arithmetic, so a sum near UINT64_MAX cannot go through a lossy double.
uint64_t mean_rounded(const LatencySnapshot& s) { return s.count == 0 ? 0 : div_round(s.sum, s.count); }

std::string two_decimals(uint64_t hundredths, const char* unit) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%llu.%02llu%s", static_cast<unsigned long long>(hundredths / 100),
                static_cast<unsigned long long>(hundredths % 100), unit);
  return buf;
}

std::string describe_events(const LatencyReport& r) {
  return std::to_string(r.measured_events) + " measured, " + std::to_string(r.warmup_events) +
         " warm-up (excluded)";
}

void write_file(const std::string& path, const std::string& what, const std::string& body) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) throw std::runtime_error("cannot open " + what + " file '" + path + "'");
  f << body;
  f.flush();
  if (!f) throw std::runtime_error("cannot write " + what + " file '" + path + "'");
}

// ---- HTML and SVG -------------------------------------------------------------------------

std::string escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

// SVG coordinates: one decimal is sub-pixel, and a non-finite value must never reach the page.
std::string num(double v) {
  if (!std::isfinite(v)) v = 0;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

constexpr std::array<const char*, 8> kColors{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                             "#9467bd", "#8c564b", "#e377c2", "#17becf"};

// Plot area inside an SVG of kWidth x kHeight; the margins hold tick labels and axis titles.
constexpr double kWidth = 760, kHeight = 360;
constexpr double kLeft = 72, kRight = 44, kTop = 30, kBottom = 52;
constexpr double kPlotW = kWidth - kLeft - kRight, kPlotH = kHeight - kTop - kBottom;

// "1ns", "20us", "500ms", "10s": a tick at m * 10^k ns; from 1000 s on "1e3s", to stay short.
std::string tick_label(uint64_t m, int k) {
  static constexpr std::array<const char*, 4> kUnits{"ns", "us", "ms", "s"};
  if (k >= 12) return std::to_string(m) + "e" + std::to_string(k - 9) + "s";
  const int unit = std::min(k / 3, 3);
  uint64_t v = m;
  for (int i = 0; i < k - 3 * unit; ++i) v *= 10;
  return std::to_string(v) + kUnits[static_cast<std::size_t>(unit)];
}

// A log10 axis over whole decades [lo, hi] mapped onto pixels [p0, p1].
struct LogAxis {
  int lo = 0, hi = 1;
  double p0 = 0, p1 = 1;
  double at(double v) const {
    const double d = std::log10(std::max(v, 1.0));
    return p0 + (p1 - p0) * (d - lo) / (hi - lo);
  }
};

// Whole decades around [lo_value, hi_value]; values below 1 ns are drawn at 1 ns.
LogAxis decades(double lo_value, double hi_value, double p0, double p1) {
  LogAxis a;
  a.lo = static_cast<int>(std::floor(std::log10(std::max(lo_value, 1.0))));
  a.hi = static_cast<int>(std::ceil(std::log10(std::max(hi_value, 1.0))));
  if (a.hi <= a.lo) a.hi = a.lo + 1;
  a.p0 = p0;
  a.p1 = p1;
  return a;
}

void svg_open(std::string& o, const char* cls, const std::string& title) {
  o += "<svg class=\"" + std::string(cls) + "\" width=\"" + num(kWidth) + "\" height=\"" + num(kHeight) +
       "\" viewBox=\"0 0 " + num(kWidth) + " " + num(kHeight) +
       "\" role=\"img\" font-family=\"sans-serif\" font-size=\"11\"><title>" + escape(title) + "</title>\n";
  o += "<rect x=\"" + num(kLeft) + "\" y=\"" + num(kTop) + "\" width=\"" + num(kPlotW) + "\" height=\"" +
       num(kPlotH) + "\" fill=\"#fff\" stroke=\"#888\"/>\n";
  o += "<text x=\"" + num(kLeft) + "\" y=\"18\" font-size=\"13\" font-weight=\"bold\">" + escape(title) +
       "</text>\n";
}

void axis_titles(std::string& o, const std::string& x_title, const std::string& y_title) {
  o += "<text x=\"" + num(kLeft + kPlotW / 2) + "\" y=\"" + num(kHeight - 8) + "\" text-anchor=\"middle\">" +
       x_title + "</text>\n";
  o += "<text transform=\"translate(14 " + num(kTop + kPlotH / 2) +
       ") rotate(-90)\" text-anchor=\"middle\">" + y_title + "</text>\n";
}

void x_tick(std::string& o, double x, const std::string& label, bool grid) {
  const double bottom = kTop + kPlotH;
  if (grid)
    o += "<line x1=\"" + num(x) + "\" y1=\"" + num(kTop) + "\" x2=\"" + num(x) + "\" y2=\"" + num(bottom) +
         "\" stroke=\"#e4e4e4\"/>\n";
  o += "<line x1=\"" + num(x) + "\" y1=\"" + num(bottom) + "\" x2=\"" + num(x) + "\" y2=\"" + num(bottom + 4) +
       "\" stroke=\"#888\"/>\n";
  if (!label.empty())
    o += "<text x=\"" + num(x) + "\" y=\"" + num(bottom + 16) + "\" text-anchor=\"middle\">" + label + "</text>\n";
}

void y_tick(std::string& o, double y, const std::string& label, bool grid) {
  if (grid)
    o += "<line x1=\"" + num(kLeft) + "\" y1=\"" + num(y) + "\" x2=\"" + num(kLeft + kPlotW) + "\" y2=\"" + num(y) +
         "\" stroke=\"#e4e4e4\"/>\n";
  o += "<line x1=\"" + num(kLeft - 4) + "\" y1=\"" + num(y) + "\" x2=\"" + num(kLeft) + "\" y2=\"" + num(y) +
       "\" stroke=\"#888\"/>\n";
  if (!label.empty())
    o += "<text x=\"" + num(kLeft - 7) + "\" y=\"" + num(y + 4) + "\" text-anchor=\"end\">" + label + "</text>\n";
}

// Latency ticks at 1, 2 and 5 per decade; the 2s and 5s are labelled only when the axis spans few
// decades, and on a very wide axis only every few decades are, so labels never collide.
void latency_ticks(std::string& o, const LogAxis& a, bool vertical) {
  const bool label_minor = a.hi - a.lo <= 2;
  const int every = (a.hi - a.lo + 9) / 10;  // at most ~10 decade labels
  for (int k = a.lo; k <= a.hi; ++k) {
    for (uint64_t m : {1u, 2u, 5u}) {
      if (k == a.hi && m != 1) break;
      const double p = a.at(static_cast<double>(m) * std::pow(10.0, k));
      const bool labelled = m == 1 ? (k - a.lo) % every == 0 : label_minor;
      const std::string label = labelled ? tick_label(m, k) : "";
      if (vertical) {
        y_tick(o, p, label, true);
      } else {
        x_tick(o, p, label, true);
      }
    }
  }
}

// Percentile distribution: x = log10(1 / (1 - q)), so 90%, 99%, 99.9% ... are evenly spaced.
struct PercentileAxis {
  int decades = 2;
  double at(double q) const {
    const double d = q >= 1.0 ? decades : std::min<double>(decades, -std::log10(1.0 - q));
    return kLeft + kPlotW * std::max(0.0, d) / decades;
  }
};

std::string percent_label(int d) {
  if (d == 0) return "0%";
  if (d == 1) return "90%";
  std::string s = "99";
  if (d > 2) s += "." + std::string(static_cast<std::size_t>(d - 2), '9');
  return s + "%";
}

// Points of the percentile curve, one step per non-empty bucket (the value a query for any q in
// the step reports), so the drawing agrees with LatencySnapshot::percentile.
std::string percentile_points(const LatencySnapshot& s, const PercentileAxis& xa, const LogAxis& ya) {
  std::string pts, last;
  uint64_t cum = 0;
  const double n = static_cast<double>(s.count);
  auto add = [&](double x, double y) {
    std::string p = num(x) + "," + num(y);
    if (p == last) return;
    pts += pts.empty() ? "" : " ";
    pts += p;
    last = std::move(p);
  };
  for (std::size_t i = 0; i < s.counts.size(); ++i) {
    if (s.counts[i] == 0) continue;
    const uint64_t v =
        std::max(LatencyHistogram::bucket_lower(i), std::min(LatencyHistogram::bucket_upper(i), s.max));
    const double y = ya.at(static_cast<double>(v));
    add(xa.at(static_cast<double>(cum) / n), y);
    cum += s.counts[i];
    add(xa.at(static_cast<double>(cum) / n), y);
  }
  return pts;
}

// One curve per stage; a legend when there is more than one stage to tell apart.
std::string percentile_svg(const std::vector<const LatencyStage*>& stages, const char* cls, const std::string& title,
                           bool markers) {
  uint64_t n = 0, lo = UINT64_MAX, hi = 0;
  for (const LatencyStage* st : stages) {
    n = std::max(n, st->hist.count);
    lo = std::min(lo, st->hist.min);
    hi = std::max(hi, st->hist.max);
  }
  PercentileAxis xa;
  xa.decades = std::clamp(static_cast<int>(std::ceil(std::log10(static_cast<double>(std::max<uint64_t>(n, 1))))), 2, 8);
  // +1 so the largest value never sits on the frame.
  const LogAxis ya = decades(static_cast<double>(lo), static_cast<double>(hi) + 1, kTop + kPlotH, kTop);

  std::string o;
  svg_open(o, cls, title);
  latency_ticks(o, ya, true);
  for (int d = 0; d <= xa.decades; ++d) x_tick(o, xa.at(1.0 - std::pow(10.0, -d)), percent_label(d), true);
  // Past six decades the 50% label would collide with 0%.
  x_tick(o, xa.at(0.5), xa.decades <= 6 ? "50%" : "", true);
  axis_titles(o, "percentile (log scale of 1/(1-q))", "latency (log scale)");

  for (std::size_t i = 0; i < stages.size(); ++i) {
    const LatencyStage& st = *stages[i];
    const char* color = kColors[i % kColors.size()];
    o += "<polyline fill=\"none\" stroke=\"" + std::string(color) + "\" stroke-width=\"1.8\" points=\"" +
         percentile_points(st.hist, xa, ya) + "\"><title>" + escape(st.name) + "</title></polyline>\n";
    if (markers) {
      for (const Column& c : kPercentiles) {
        if (-std::log10(1.0 - c.q) > xa.decades + 1e-9) continue;
        const uint64_t v = st.hist.percentile(c.q);
        o += "<circle cx=\"" + num(xa.at(c.q)) + "\" cy=\"" + num(ya.at(static_cast<double>(v))) +
             "\" r=\"3\" fill=\"" + color + "\"><title>" + c.label + " = " + format_latency(v) +
             "</title></circle>\n";
      }
    }
  }
  if (stages.size() > 1) {
    std::size_t longest = 0;
    for (const LatencyStage* st : stages) longest = std::max(longest, st->name.size());
    const double w = 48 + 6.5 * static_cast<double>(longest);
    o += "<rect x=\"" + num(kLeft + 8) + "\" y=\"" + num(kTop + 8) + "\" width=\"" + num(w) + "\" height=\"" +
         num(8 + 16.0 * static_cast<double>(stages.size())) +
         "\" fill=\"#fff\" fill-opacity=\"0.9\" stroke=\"#bbb\"/>\n";
    for (std::size_t i = 0; i < stages.size(); ++i) {
      const double y = kTop + 20 + 16.0 * static_cast<double>(i);
      o += "<line x1=\"" + num(kLeft + 14) + "\" y1=\"" + num(y - 4) + "\" x2=\"" + num(kLeft + 34) + "\" y2=\"" +
           num(y - 4) + "\" stroke=\"" + kColors[i % kColors.size()] + "\" stroke-width=\"2.5\"/>\n";
      o += "<text x=\"" + num(kLeft + 40) + "\" y=\"" + num(y) + "\">" + escape(stages[i]->name) + "</text>\n";
    }
  }
  o += "</svg>\n";
  return o;
}

// 1-2-5 steps, about five of them up to max_value.
double nice_step(double max_value) {
  const double raw = max_value / 5;
  if (!(raw > 0)) return 1;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0}) {
    if (m * mag >= raw * (1 - 1e-9)) return m * mag;
  }
  return 10 * mag;
}

std::string tick_number(double v, double step) {
  const int decimals = step >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(step) - 1e-9));
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// Bars over log-scaled latency, each spanning its bucket [lower, upper + 1). A bar's height is its
// count per 1/32 octave, not its raw count: on a log axis the buckets' widths shrink within an
// octave and double across each boundary, so raw counts would draw a sawtooth that jumps at every
// power of two. With heights as densities, areas are counts.
std::string histogram_svg(const LatencyStage& st) {
  const LatencySnapshot& s = st.hist;
  constexpr double kPerOctave = static_cast<double>(LatencyHistogram::kSubBuckets);
  const auto density = [&](std::size_t i) {
    const double lo = static_cast<double>(LatencyHistogram::bucket_lower(i));
    const double c = static_cast<double>(s.counts[i]);
    // The 0 bucket has no width on a log axis; it counts as one nominal bucket.
    if (lo < 1) return c;
    const double octaves = std::log2((static_cast<double>(LatencyHistogram::bucket_upper(i)) + 1) / lo);
    return c / (octaves * kPerOctave);
  };
  std::size_t first = 0, last = 0;
  double peak = 0;
  bool any = false;
  for (std::size_t i = 0; i < s.counts.size(); ++i) {
    if (s.counts[i] == 0) continue;
    if (!any) first = i;
    any = true;
    last = i;
    peak = std::max(peak, density(i));
  }
  const LogAxis xa = decades(static_cast<double>(LatencyHistogram::bucket_lower(first)),
                             static_cast<double>(LatencyHistogram::bucket_upper(last)) + 1, kLeft, kLeft + kPlotW);
  const double step = nice_step(peak);
  const int ticks = std::max(1, static_cast<int>(std::ceil(peak / step - 1e-9)));
  const double top = step * ticks;
  const auto y_at = [&](double d) { return kTop + kPlotH - kPlotH * d / top; };

  std::string o;
  svg_open(o, "stage-histogram", st.name + ": distribution");
  for (int t = 0; t <= ticks; ++t) y_tick(o, y_at(step * t), tick_number(step * t, step), t != 0);
  latency_ticks(o, xa, false);
  axis_titles(o, "latency (log scale)", "samples per 1/32 octave");
  for (std::size_t i = first; i <= last; ++i) {
    if (s.counts[i] == 0) continue;
    const uint64_t lo = LatencyHistogram::bucket_lower(i), hi = LatencyHistogram::bucket_upper(i);
    const double x0 = xa.at(static_cast<double>(lo));
    // The 0 bucket has no log position; give it a visible sliver at the axis' left end.
    const double x1 = std::max(xa.at(static_cast<double>(hi) + 1), x0 + 1.0);
    // A bar of one sample among millions still shows.
    const double y = std::min(y_at(density(i)), kTop + kPlotH - 1.0);
    const std::string range = lo == hi ? format_latency(lo) : format_latency(lo) + " - " + format_latency(hi);
    o += "<rect x=\"" + num(x0) + "\" y=\"" + num(y) + "\" width=\"" + num(x1 - x0) + "\" height=\"" +
         num(kTop + kPlotH - y) + "\" fill=\"#4c78a8\"><title>" + range + ": " + std::to_string(s.counts[i]) +
         "</title></rect>\n";
  }
  o += "</svg>\n";
  return o;
}

void html_table(std::string& o, const LatencyReport& r) {
  o += "<table>\n<thead><tr><th>stage</th><th>count</th>";
  for (const Column& c : kPercentiles) o += std::string("<th>") + c.label + "</th>";
  o += "<th>max</th><th>mean</th><th>what it measures</th></tr></thead>\n<tbody>\n";
  for (const LatencyStage& st : r.stages) {
    const LatencySnapshot& s = st.hist;
    o += "<tr><td>" + escape(st.name) + "</td><td>" + std::to_string(s.count) + "</td>";
    for (const Column& c : kPercentiles) o += "<td>" + (s.empty() ? "-" : format_latency(s.percentile(c.q))) + "</td>";
    o += "<td>" + (s.empty() ? "-" : format_latency(s.max)) + "</td><td>" +
         (s.empty() ? "-" : format_latency(mean_rounded(s))) + "</td><td class=\"desc\">" + escape(st.description) +
         "</td></tr>\n";
  }
  o += "</tbody>\n</table>\n";
}

constexpr const char* kStyle =
    "body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1000px}"
    "h1{font-size:20px}h2{font-size:16px;margin-top:28px}"
    "dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px}dt{color:#666}dd{margin:0}"
    "table{border-collapse:collapse;font-variant-numeric:tabular-nums}"
    "th,td{padding:3px 10px;text-align:right;border-bottom:1px solid #ddd}"
    "th:first-child,td:first-child,td.desc{text-align:left}td.desc{color:#666}"
    "svg{display:block;margin:12px 0}";

}  // namespace

std::string format_latency(uint64_t ns) {
  if (ns <= 9'999) return std::to_string(ns) + "ns";
  // Units switch on the rounded value, so 9,999,999 ns reads 10.00ms, never 10000.00us.
  if (const uint64_t h = div_round(ns, 10); h < 1'000'000) return two_decimals(h, "us");
  if (const uint64_t h = div_round(ns, 10'000); h < 1'000'000) return two_decimals(h, "ms");
  return two_decimals(div_round(ns, 10'000'000), "s");
}

void print_latency_report(const LatencyReport& r, std::ostream& out) {
  out << "Latency\n"
      << "  clock:          " << printable(r.clock_source) << "\n"
      << "  wait strategy:  " << printable(r.wait_strategy) << "\n"
      << "  machine:        " << printable(r.machine) << "\n"  // /proc/cpuinfo: outside text
      << "  events:         " << describe_events(r) << "\n";
  std::size_t name_w = 5;
  for (const LatencyStage& st : r.stages) name_w = std::max(name_w, st.name.size());
  out << std::left << std::setw(static_cast<int>(name_w)) << "stage" << std::right << std::setw(12) << "count";
  for (const Column& c : kPercentiles) out << std::setw(11) << c.label;
  out << std::setw(11) << "max" << std::setw(11) << "mean" << "\n";
  for (const LatencyStage& st : r.stages) {
    const LatencySnapshot& s = st.hist;
    out << std::left << std::setw(static_cast<int>(name_w)) << st.name << std::right << std::setw(12) << s.count;
    for (const Column& c : kPercentiles) out << std::setw(11) << (s.empty() ? "-" : format_latency(s.percentile(c.q)));
    out << std::setw(11) << (s.empty() ? "-" : format_latency(s.max)) << std::setw(11)
        << (s.empty() ? "-" : format_latency(mean_rounded(s))) << "\n";
  }
  for (const LatencyStage& st : r.stages) {
    if (!st.description.empty())
      out << "  " << std::left << std::setw(static_cast<int>(name_w)) << st.name << std::right << "  "
          << st.description << "\n";
  }
}

nlohmann::json latency_report_json(const LatencyReport& r) {
  using nlohmann::json;
  json stages = json::array();
  for (const LatencyStage& st : r.stages) {
    const LatencySnapshot& s = st.hist;
    json j = {{"name", st.name},  {"description", st.description}, {"count", s.count},
              {"min_ns", s.min},  {"max_ns", s.max},                {"mean_ns", s.mean()}};
    for (const Column& c : kPercentiles) j[c.json_key] = s.percentile(c.q);
    json buckets = json::array();
    for (std::size_t i = 0; i < s.counts.size(); ++i) {
      if (s.counts[i] != 0)
        buckets.push_back({LatencyHistogram::bucket_lower(i), LatencyHistogram::bucket_upper(i), s.counts[i]});
    }
    j["buckets"] = std::move(buckets);
    stages.push_back(std::move(j));
  }
  return {{"clock_source", r.clock_source},   {"wait_strategy", r.wait_strategy},
          {"machine", r.machine},             {"warmup_events", r.warmup_events},
          {"measured_events", r.measured_events}, {"stages", std::move(stages)}};
}

std::string latency_html(const LatencyReport& r) {
  std::string o;
  o += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
       "<title>tickpipe latency report</title>\n<style>";
  o += kStyle;
  o += "</style>\n</head>\n<body>\n<h1>tickpipe latency report</h1>\n<dl>\n";
  o += "<dt>clock</dt><dd>" + escape(r.clock_source) + "</dd>\n";
  o += "<dt>wait strategy</dt><dd>" + escape(r.wait_strategy) + "</dd>\n";
  o += "<dt>machine</dt><dd>" + escape(r.machine) + "</dd>\n";
  o += "<dt>events</dt><dd>" + describe_events(r) + "</dd>\n</dl>\n";
  html_table(o, r);

  std::vector<const LatencyStage*> measured;
  for (const LatencyStage& st : r.stages) {
    if (!st.hist.empty()) measured.push_back(&st);
  }
  if (!measured.empty()) {
    o += "<h2>All stages</h2>\n";
    o += percentile_svg(measured, "all-percentiles", "latency by percentile, all stages", false);
  }
  for (const LatencyStage& st : r.stages) {
    o += "<h2>" + escape(st.name) + "</h2>\n";
    if (!st.description.empty()) o += "<p>" + escape(st.description) + "</p>\n";
    if (st.hist.empty()) {
      o += "<p>no samples</p>\n";
      continue;
    }
    o += percentile_svg({&st}, "stage-percentiles", st.name + ": latency by percentile", true);
    o += histogram_svg(st);
  }
  o += "</body>\n</html>\n";
  return o;
}

void write_latency_json(const LatencyReport& r, const std::string& path) {
  // Free-text fields may hold bytes that are not UTF-8 (a CPU model string); replace them rather
  // than fail the report.
  write_file(path, "latency report",
             latency_report_json(r).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

void write_latency_html(const LatencyReport& r, const std::string& path) {
  write_file(path, "latency HTML", latency_html(r));
}

}  // namespace tp
