#include "feed/live/depth_snapshot_fetcher.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <stdexcept>

#include "core/telemetry/event_log.hpp"
#include "core/timing/wall_clock.hpp"
#include "feed/live/https_get.hpp"

namespace tp::feed {
namespace {

static_assert(DepthSnapshotBody::kPadding == HttpResponseReader::kBodyPadding);

std::string expand(const std::string& url_template, const std::string& symbol) {
  static const std::string kKey = "{symbol}";
  std::string out;
  std::size_t from = 0;
  for (std::size_t at; (at = url_template.find(kKey, from)) != std::string::npos; from = at + kKey.size()) {
    out.append(url_template, from, at - from);
    out += symbol;
  }
  out.append(url_template, from, std::string::npos);
  return out;
}

// While something is wanted but not yet due (backoff), the fetcher thread sleeps in slices this
// long, so a new request is picked up promptly; with nothing wanted it blocks on wake_ instead.
constexpr int64_t kIdleSliceMs = 20;

}  // namespace

DepthSnapshotFetcher::DepthSnapshotFetcher(DepthSnapshotFetcherOptions options, TlsClientContext* tls,
                                           std::vector<std::string> venue_symbols)
    : options_(std::move(options)), tls_(tls), symbols_(std::move(venue_symbols)) {
  for (const std::string& name : symbols_) {
    std::string why;
    const std::string url = expand(options_.url_template, name);
    auto parsed = parse_http_url(url, why);
    if (!parsed) throw std::invalid_argument("the depth snapshot URL '" + url + "' " + why);
    if (parsed->tls && tls_ == nullptr)
      throw std::invalid_argument("the depth snapshot URL '" + url + "' is https:// but no TLS context was given");
    hosts_.push_back(parsed->host_header());
    urls_.push_back(std::move(*parsed));
    slots_.push_back(std::make_unique<Slot>(options_.retry_min_ms, options_.retry_max_ms));
  }
}

DepthSnapshotFetcher::~DepthSnapshotFetcher() {
  stop_.store(true, std::memory_order_release);
  wake_.fetch_add(1, std::memory_order_release);
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void DepthSnapshotFetcher::start() {
  if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
}

void DepthSnapshotFetcher::request(SymbolId id) noexcept {
  if (id >= slots_.size()) return;
  Slot& s = *slots_[id];
  // The common case - already wanted, in flight or ready - is one load.
  if (s.state.load(std::memory_order_relaxed) != Idle) return;
  uint8_t expected = Idle;
  if (!s.state.compare_exchange_strong(expected, Wanted, std::memory_order_acq_rel)) return;
  ++counters_.requests;
  wake_.fetch_add(1, std::memory_order_release);
  wake_.notify_one();
}

const DepthSnapshotBody* DepthSnapshotFetcher::poll() noexcept {
  if (polled_ != SIZE_MAX) return &slots_[polled_]->body;
  if (ready_.load(std::memory_order_acquire) == 0) return nullptr;
  const std::size_t n = slots_.size();
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t i = (scan_from_ + k) % n;
    if (slots_[i]->state.load(std::memory_order_acquire) == Ready) {
      polled_ = i;
      scan_from_ = i + 1;
      return &slots_[i]->body;
    }
  }
  return nullptr;
}

void DepthSnapshotFetcher::release() noexcept {
  if (polled_ == SIZE_MAX) return;
  // Hands the buffer back: the fetcher touches it again only after a new request() (Idle -> Wanted).
  slots_[polled_]->state.store(Idle, std::memory_order_release);
  ready_.fetch_sub(1, std::memory_order_relaxed);
  polled_ = SIZE_MAX;
}

std::string DepthSnapshotFetcher::last_error() const {
  std::lock_guard<std::mutex> lock(error_mutex_);
  return last_error_;
}

void DepthSnapshotFetcher::run() {
  HttpGetter getter(tls_, options_.max_body_bytes);
  getter.set_cancel_flag(&stop_);
  const std::size_t n = slots_.size();
  while (!stop_.load(std::memory_order_acquire)) {
    const uint32_t seen = wake_.load(std::memory_order_acquire);
    const int64_t now = monotonic_ms();
    int64_t next_due = INT64_MAX;
    std::size_t due = SIZE_MAX;
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t i = (next_fetch_ + k) % n;
      const Slot& s = *slots_[i];
      if (s.state.load(std::memory_order_acquire) != Wanted) continue;
      if (s.not_before_ms <= now) {
        due = i;
        break;
      }
      next_due = std::min(next_due, s.not_before_ms);
    }
    if (due != SIZE_MAX) {
      next_fetch_ = due + 1;  // round robin: a symbol that keeps failing does not starve the others
      fetch(static_cast<SymbolId>(due), getter);
      continue;
    }
    if (next_due == INT64_MAX) {
      wake_.wait(seen, std::memory_order_acquire);  // nothing wanted: sleep until a request or stop
      continue;
    }
    while (!stop_.load(std::memory_order_acquire) && wake_.load(std::memory_order_acquire) == seen) {
      const int64_t left = next_due - monotonic_ms();
      if (left <= 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min(left, kIdleSliceMs)));
    }
  }
}

void DepthSnapshotFetcher::publish(Slot& s, SymbolId id, const HttpGetResult& r) {
  // The message is the body with "s" (the symbol) added as its first member: Binance's answer
  // names no symbol, and the normalizer must know whose book it is (docs/order-book.md). A body
  // that is not an object is passed on as it is: the normalizer refuses it and counts it.
  std::string_view body(r.body.data(), r.body.size());
  std::size_t open = 0;
  while (open < body.size() && (body[open] == ' ' || body[open] == '\t' || body[open] == '\r' || body[open] == '\n')) ++open;
  std::string prefix;
  if (open < body.size() && body[open] == '{') {
    prefix = "{\"s\":\"";
    for (const char c : symbols_[id]) {
      if (c == '"' || c == '\\') prefix += '\\';
      prefix += c;
    }
    prefix += '"';
    std::size_t next = open + 1;
    while (next < body.size() && (body[next] == ' ' || body[next] == '\t' || body[next] == '\r' || body[next] == '\n')) ++next;
    if (next < body.size() && body[next] != '}') prefix += ',';
    body.remove_prefix(open + 1);
  }
  const std::size_t len = prefix.size() + body.size();
  const std::size_t need = len + DepthSnapshotBody::kPadding;
  if (s.capacity < need) {
    s.buffer.reset(new uint8_t[need]);
    s.capacity = need;
  }
  std::memcpy(s.buffer.get(), prefix.data(), prefix.size());
  if (!body.empty()) std::memcpy(s.buffer.get() + prefix.size(), body.data(), body.size());
  std::memset(s.buffer.get() + len, 0, DepthSnapshotBody::kPadding);
  s.body.symbol = id;
  s.body.recv_ts_ns = r.recv_ts_ns;
  s.body.data = s.buffer.get();
  s.body.len = len;
  s.body.local = r.local;
  s.body.remote = r.remote;
  s.body.host = hosts_[id];
  s.body.target = urls_[id].target;
  // Counted before it is visible, so release()'s decrement never runs ahead of this increment.
  ready_.fetch_add(1, std::memory_order_release);
  s.state.store(Ready, std::memory_order_release);
}

void DepthSnapshotFetcher::fetch(SymbolId id, HttpGetter& getter) {
  Slot& s = *slots_[id];
  s.state.store(InFlight, std::memory_order_relaxed);  // the fetcher owns the slot already (Wanted)
  const int64_t started = monotonic_ms();
  s.not_before_ms = started + options_.min_interval_ms;
  const HttpGetResult r = getter.get(urls_[id], options_.timeout_ms);
  if (stop_.load(std::memory_order_acquire)) {
    s.state.store(Wanted, std::memory_order_relaxed);  // abandoned: nobody will take it now
    return;
  }
  counters_.last_http_status = static_cast<uint64_t>(r.status);
  const std::string& symbol = symbols_[id];
  if (r.ok) {
    s.backoff.reset();
    ++counters_.fetches_ok;
    if (options_.log != nullptr && options_.log->enabled(LogLevel::Info)) {
      LogFields f;
      f.add("symbol", symbol).add("host", urls_[id].host).add("bytes", static_cast<uint64_t>(r.body.size()));
      f.add("ms", monotonic_ms() - started);
      options_.log->write(LogLevel::Info, "depth_snapshot_fetched", f);
    }
    publish(s, id, r);
    return;
  }
  ++counters_.fetch_failures;
  int64_t wait_ms = r.certificate_error ? options_.retry_max_ms : s.backoff.next_wait_ms();
  if (r.retry_after_s > 0) wait_ms = std::max(wait_ms, r.retry_after_s * 1000);
  s.not_before_ms = std::max(s.not_before_ms, monotonic_ms() + wait_ms);
  const std::string why = "the depth snapshot of " + symbol + " failed: " + r.error;
  {
    std::lock_guard<std::mutex> lock(error_mutex_);
    last_error_ = why;
  }
  if (options_.log != nullptr && options_.log->enabled(LogLevel::Warn)) {
    LogFields f;
    f.add("symbol", symbol).add("host", urls_[id].host).add("status", r.status).add("error", r.error);
    f.add("retry_in_ms", s.not_before_ms - monotonic_ms());
    options_.log->write(LogLevel::Warn, "depth_snapshot_failed", f);
  }
  s.state.store(Wanted, std::memory_order_release);
}

}  // namespace tp::feed
