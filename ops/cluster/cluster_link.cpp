#include "ops/cluster/cluster_link.hpp"

#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/threads/thread_affinity.hpp"
#include "core/types/decimal.hpp"
#include "ops/cluster/cluster_auth.hpp"
#include "ops/cluster/cluster_scripts.hpp"

namespace tp::ops {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

int64_t wall_ms() {
  return std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

uint64_t to_u64(const RedisReply& r) {
  if (r.type == RedisReply::Type::Integer) return static_cast<uint64_t>(r.integer);
  uint64_t v = 0;
  for (const char c : r.str) {
    if (c < '0' || c > '9') return 0;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

// The part of a reply array at i, or an empty reply.
const RedisReply& at(const RedisReply& r, std::size_t i) {
  static const RedisReply kNil;
  return i < r.elements.size() ? r.elements[i] : kNil;
}

}  // namespace

const char* cluster_link_state_name(ClusterLinkState s) noexcept {
  switch (s) {
    case ClusterLinkState::Connecting: return "connecting";
    case ClusterLinkState::Up: return "up";
    case ClusterLinkState::Down: return "down";
    case ClusterLinkState::Stopped: return "stopped";
  }
  return "unknown";
}

ClusterLink::ClusterLink(ClusterLinkOptions options, EngineView& view)
    : opt_(std::move(options)),
      view_(view),
      keys_(opt_.cfg.key_prefix),
      instance_key_(keys_.instance(opt_.cfg.instance)),
      stream_key_(keys_.journal(opt_.cfg.instance)),
      started_ms_(wall_ms()) {}

ClusterLink::~ClusterLink() { stop(milliseconds(0)); }

void ClusterLink::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { run(); });
}

void ClusterLink::stop(milliseconds drain) {
  {
    const std::lock_guard<std::mutex> g(mu_);
    if (stop_ && !thread_.joinable()) return;
    stop_ = true;
    drain_ = drain;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::string ClusterLink::script_sha(const char* script) {
  const RedisReply r = main_->command({"SCRIPT", "LOAD", script});
  if (r.type != RedisReply::Type::String) throw RedisError("redis " + main_->address() + ": SCRIPT LOAD: " + r.describe());
  return r.str;
}

bool ClusterLink::connect() {
  try {
    const milliseconds timeout(opt_.cfg.timeout_ms);
    auto main = std::make_unique<RedisConnection>(opt_.cfg.redis, opt_.password, timeout);
    auto sub = std::make_unique<RedisConnection>(opt_.cfg.redis, opt_.password, timeout);
    const RedisReply s = sub->command({"SUBSCRIBE", keys_.channel});
    if (s.is_error()) throw RedisError("redis " + sub->address() + ": SUBSCRIBE: " + s.str);
    main_ = std::move(main);
    sub_ = std::move(sub);
    sync_sha_ = script_sha(kFirmSyncScript);
    append_sha_ = script_sha(kStreamAppendScript);
    sync_stream_position();
  } catch (const std::exception& e) {
    status_.connect_failures.fetch_add(1, std::memory_order_relaxed);
    disconnect(e.what());
    return false;
  }
  status_.connects.fetch_add(1, std::memory_order_relaxed);
  const bool was_down = down_;
  down_ = false;
  status_.down_since_ms.store(0, std::memory_order_relaxed);
  status_.link.store(ClusterLinkState::Up, std::memory_order_release);
  log(LogLevel::Info, was_down ? "cluster_up_again" : "cluster_up",
      LogFields().add("redis", opt_.cfg.redis_url).add("instance", opt_.cfg.instance).add("stream_acked", acked_));
  return true;
}

// The link is down (a failed connect, or a connection that failed): the clock towards fail-closed
// starts at the first failure, and the log says so once.
void ClusterLink::disconnect(const std::string& why) {
  main_.reset();
  sub_.reset();
  status_.set_error(why);
  if (down_) return;
  down_ = true;
  down_since_ = Clock::now();
  status_.down_since_ms.store(wall_ms(), std::memory_order_relaxed);
  status_.link.store(ClusterLinkState::Down, std::memory_order_release);
  log(LogLevel::Warn, "cluster_down", LogFields().add("redis", opt_.cfg.redis_url).add("error", why));
}

void ClusterLink::check_fail_closed() {
  if (!down_ || status_.fail_closed.load(std::memory_order_relaxed)) return;
  if (Clock::now() - down_since_ < milliseconds(opt_.cfg.fail_closed_after_ms)) return;
  status_.fail_closed.store(true, std::memory_order_release);
  view_.cluster_command(AdminAction::Reduce);
  log(LogLevel::Warn, "cluster_fail_closed",
      LogFields().add("after_ms", opt_.cfg.fail_closed_after_ms).add("state", "REDUCING"));
}

void ClusterLink::sync_stream_position() {
  if (opt_.journal_path.empty()) return;
  if (!tail_) tail_ = std::make_unique<JournalTail>(opt_.journal_path);
  if (opt_.journal_fresh && !archived_) {
    // A new journal starts a new stream; the old one is kept under another name, never deleted.
    if (main_->command({"EXISTS", stream_key_}).integer == 1) {
      const std::string archive = stream_key_ + ":before:" + std::to_string(wall_ms());
      const RedisReply r = main_->command({"RENAME", stream_key_, archive});
      if (r.is_error()) throw RedisError("redis: RENAME " + stream_key_ + ": " + r.str);
      log(LogLevel::Info, "cluster_stream_archived", LogFields().add("stream", stream_key_).add("to", archive));
    }
    archived_ = true;
  }
  const RedisReply last = main_->command({"XREVRANGE", stream_key_, "+", "-", "COUNT", "1"});
  uint64_t acked = 0;
  if (last.type == RedisReply::Type::Array && !last.elements.empty()) {
    const std::string& id = at(at(last, 0), 0).str;
    if (id.rfind("0-", 0) != 0) {
      stream_broken_ = true;
      status_.set_error("stream " + stream_key_ + " holds entry " + id + ", not written by tickpipe: not streaming");
      log(LogLevel::Error, "cluster_stream_foreign", LogFields().add("stream", stream_key_).add("id", id));
      return;
    }
    acked = std::strtoull(id.c_str() + 2, nullptr, 10);
  }
  // Redis holds fewer records than were sent (it restarted without them): send them again.
  if (tail_->next_line() - 1 > acked) tail_->rewind();
  acked_ = acked;
  status_.stream_acked.store(acked_, std::memory_order_relaxed);
}

std::size_t ClusterLink::stream_batch() {
  if (!tail_ || stream_broken_) return 0;
  constexpr std::size_t kMaxLines = 256;
  constexpr std::size_t kMaxBytes = 1 << 20;
  std::vector<std::string> args{"EVALSHA", append_sha_, "1", stream_key_, std::to_string(opt_.cfg.stream_maxlen), ""};
  uint64_t first = 0;
  std::size_t bytes = 0, lines = 0;
  while (lines < kMaxLines && bytes < kMaxBytes) {
    const auto l = tail_->next();
    if (!l) break;
    const uint64_t n = tail_->next_line() - 1;
    if (n <= acked_) continue;
    if (lines == 0) first = n;
    args.emplace_back(*l);
    bytes += l->size();
    ++lines;
  }
  status_.journal_lines.store(tail_->next_line() - 1, std::memory_order_relaxed);
  if (lines == 0) return 0;
  args[5] = std::to_string(first);
  const RedisReply r = main_->command(args);
  if (r.type != RedisReply::Type::Array || r.elements.size() < 3) {
    tail_->rewind();
    throw RedisError("redis: stream append: " + r.describe());
  }
  const uint64_t added = to_u64(at(r, 0)), skipped = to_u64(at(r, 1));
  acked_ = first + added + skipped - 1;
  status_.records_streamed.fetch_add(added, std::memory_order_relaxed);
  status_.records_skipped.fetch_add(skipped, std::memory_order_relaxed);
  status_.stream_acked.store(acked_, std::memory_order_relaxed);
  if (!at(r, 2).str.empty()) {
    // Redis refused a record (out of memory, ...): what follows is read again and retried.
    tail_->rewind();
    status_.set_error("stream " + stream_key_ + ": " + at(r, 2).str);
    log(LogLevel::Warn, "cluster_stream_refused", LogFields().add("stream", stream_key_).add("error", at(r, 2).str));
    return 0;
  }
  return lines;
}

void ClusterLink::heartbeat() {
  const nlohmann::json st = nlohmann::json::parse(view_.state_json());
  const std::string state = st.value("state", "ACTIVE");
  const std::string day_pnl = st.value("day_pnl", "0");
  Fixed pnl_raw = 0;
  if (!parse_fixed_signed(day_pnl, pnl_raw)) pnl_raw = 0;
  nlohmann::json positions = nlohmann::json::array();
  if (st.contains("positions")) {
    for (const auto& p : st["positions"]) {
      positions.push_back({{"symbol", p.value("symbol", "")},
                           {"qty", p.value("qty", "0")},
                           {"entry_price", p.value("entry_price", "0")},
                           {"mark", p.value("mark", "0")},
                           {"unrealized_pnl", p.value("unrealized_pnl", "0")},
                           {"realized_pnl", p.value("realized_pnl", "0")}});
    }
  }
  const std::string reason = st.contains("state_reason") && st["state_reason"].is_string()
                                 ? st["state_reason"].get<std::string>()
                                 : std::string();
  std::vector<std::string> args{"EVALSHA",
                                sync_sha_,
                                "5",
                                instance_key_,
                                keys_.firm_pnl,
                                keys_.firm_seen,
                                keys_.firm_state,
                                keys_.firm_events,
                                opt_.cfg.instance,
                                std::to_string(opt_.cfg.instance_ttl_ms),
                                std::to_string(opt_.cfg.firm_daily_loss_limit),
                                keys_.channel,
                                std::to_string(pnl_raw),
                                "instance", opt_.cfg.instance,
                                "state", state,
                                "state_reason", reason,
                                "day_pnl", day_pnl,
                                "positions", positions.dump(),
                                "pid", std::to_string(::getpid()),
                                "started_ms", std::to_string(started_ms_),
                                "journal_lines", std::to_string(status_.journal_lines.load(std::memory_order_relaxed)),
                                "stream_acked", std::to_string(acked_),
                                "fail_closed", status_.fail_closed.load(std::memory_order_relaxed) ? "1" : "0"};
  RedisReply r = main_->command(args);
  if (r.is_error() && r.str.rfind("NOSCRIPT", 0) == 0) {
    sync_sha_ = script_sha(kFirmSyncScript);
    args[1] = sync_sha_;
    r = main_->command(args);
  }
  if (r.type != RedisReply::Type::Array || r.elements.size() < 8) throw RedisError("redis: firm sync: " + r.describe());
  status_.heartbeats.fetch_add(1, std::memory_order_relaxed);
  status_.firm_day_pnl_raw.store(std::strtoll(at(r, 2).str.c_str(), nullptr, 10), std::memory_order_relaxed);
  status_.firm_live_instances.store(to_u64(at(r, 3)), std::memory_order_relaxed);
  const FirmState f = firm_state_at(r, 4);
  apply_firm(f);
  // Back from fail-closed: the REDUCING it caused ends, unless the firm says otherwise.
  if (status_.fail_closed.load(std::memory_order_relaxed)) {
    status_.fail_closed.store(false, std::memory_order_release);
    if (f.state == "ACTIVE" && state == "REDUCING") view_.cluster_command(AdminAction::Resume);
    log(LogLevel::Info, "cluster_fail_closed_ended", LogFields().add("firm_state", f.state).add("state", state));
  }
}

// A firm state from a reply that holds state and gen first, and reason, by, at_ms, sig from `rest`
// on (the sync script's return value, an HMGET of the firm hash). A missing state is ACTIVE.
ClusterLink::FirmState ClusterLink::firm_state_at(const RedisReply& r, std::size_t rest) {
  FirmState f;
  if (!at(r, 0).is_nil()) f.state = at(r, 0).str;
  f.gen = to_u64(at(r, 1));
  f.reason = at(r, rest).str;
  f.by = at(r, rest + 1).str;
  f.at_ms = at(r, rest + 2).str;
  f.sig = at(r, rest + 3).str;
  return f;
}

void ClusterLink::read_firm_state() {
  const RedisReply r = main_->command({"HMGET", keys_.firm_state, "state", "gen", "reason", "by", "at_ms", "sig"});
  if (r.type != RedisReply::Type::Array) throw RedisError("redis: HMGET " + keys_.firm_state + ": " + r.describe());
  apply_firm(firm_state_at(r, 2));
}

void ClusterLink::apply_firm(const FirmState& f) {
  status_.firm_gen.store(f.gen, std::memory_order_relaxed);
  status_.set_firm_state(f.state);
  if (f.gen < applied_gen_) {
    // Redis lost the firm state (a restart without persistence, a failover to a replica that had
    // not seen it): generations start again, and the next one must not be taken for an old one.
    log(LogLevel::Warn, "cluster_firm_state_reset", LogFields().add("gen", f.gen).add("was", applied_gen_));
    applied_gen_ = 0;
  }
  if (f.gen <= applied_gen_) return;
  applied_gen_ = f.gen;
  if (f.reason == "operator" &&
      !firm_command_signed(opt_.admin_token, keys_.prefix, f.state, std::to_string(f.gen - 1), f.by, f.at_ms, f.sig)) {
    status_.firm_commands_refused.fetch_add(1, std::memory_order_relaxed);
    log(LogLevel::Error, "cluster_command_refused",
        LogFields()
            .add("firm_state", f.state)
            .add("gen", f.gen)
            .add("by", f.by)
            .add("why", opt_.admin_token.empty() ? "this instance has no admin token" : "bad signature"));
    return;
  }
  bool acted = true;
  if (f.state == "HALTED") {
    view_.cluster_command(AdminAction::Halt);
    firm_holds_ = true;
  } else if (f.state == "REDUCING") {
    view_.cluster_command(AdminAction::Reduce);
    firm_holds_ = true;
  } else if (f.state == "ACTIVE" && firm_holds_) {
    // Only a halt or reduce the firm caused is lifted: an ACTIVE firm found at start-up, or after
    // the instance's own halt, changes nothing.
    view_.cluster_command(AdminAction::Resume);
    firm_holds_ = false;
  } else {
    acted = false;
  }
  if (acted) status_.firm_commands_applied.fetch_add(1, std::memory_order_relaxed);
  log(acted ? LogLevel::Warn : LogLevel::Info, "cluster_firm_state",
      LogFields().add("state", f.state).add("gen", f.gen).add("reason", f.reason).add("by", f.by).add("applied", acted));
}

void ClusterLink::run() {
  name_current_thread("tp-ops-cluster");
  const milliseconds hb(opt_.cfg.heartbeat_ms);
  auto next_hb = Clock::now();
  auto next_connect = Clock::now();
  milliseconds backoff(50);
  for (;;) {
    {
      const std::lock_guard<std::mutex> g(mu_);
      if (stop_) break;
    }
    const auto now = Clock::now();
    if (!main_ && now >= next_connect) {
      if (connect()) {
        backoff = milliseconds(50);
        next_hb = now;
      } else {
        next_connect = now + backoff;
        backoff = std::min<milliseconds>(backoff * 2, std::max<milliseconds>(hb, milliseconds(1000)));
      }
    }
    if (main_) {
      try {
        if (Clock::now() >= next_hb) {
          heartbeat();
          next_hb = Clock::now() + hb;
        }
        const std::size_t sent = stream_batch();
        const auto left = std::chrono::duration_cast<milliseconds>(next_hb - Clock::now());
        const milliseconds wait = sent > 0 ? milliseconds(0) : std::clamp<milliseconds>(left, milliseconds(0), milliseconds(50));
        if (auto msg = sub_->poll_reply(wait)) {
          if (msg->type == RedisReply::Type::Array && at(*msg, 0).str == "message") read_firm_state();
        }
      } catch (const RedisError& e) {
        disconnect(e.what());
        next_connect = Clock::now() + backoff;
      } catch (const std::exception& e) {
        // The journal could not be read, or a reply was not what the scripts return: said, retried.
        status_.set_error(e.what());
        log(LogLevel::Error, "cluster_error", LogFields().add("error", e.what()));
        std::unique_lock<std::mutex> l(mu_);
        cv_.wait_for(l, hb, [this] { return stop_; });
      }
    } else {
      check_fail_closed();
      std::unique_lock<std::mutex> l(mu_);
      const auto until = std::min(next_connect, Clock::now() + milliseconds(20));
      cv_.wait_until(l, until, [this] { return stop_; });
    }
  }
  // Stopping: what is left of the journal, then a last heartbeat (the final state).
  if (main_) {
    const auto deadline = Clock::now() + drain_;
    try {
      while (Clock::now() < deadline && stream_batch() > 0) {
      }
      heartbeat();
    } catch (const std::exception& e) {
      status_.set_error(e.what());
      log(LogLevel::Warn, "cluster_stop_incomplete", LogFields().add("error", e.what()));
    }
  }
  main_.reset();
  sub_.reset();
  status_.link.store(ClusterLinkState::Stopped, std::memory_order_release);
}

}  // namespace tp::ops
