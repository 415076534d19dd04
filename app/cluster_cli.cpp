#include "app/cluster_cli.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <iomanip>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>
#include <thread>
#include <vector>

#include "core/config/config.hpp"
#include "core/types/decimal.hpp"
#include "ops/cluster/cluster_auth.hpp"
#include "ops/cluster/cluster_keys.hpp"
#include "ops/cluster/cluster_scripts.hpp"
#include "ops/cluster/redis_connection.hpp"

namespace tp {

namespace {

using ops::RedisReply;
using Fields = std::map<std::string, std::string>;

Fields hash_of(const RedisReply& r) {
  Fields f;
  for (std::size_t i = 0; i + 1 < r.elements.size(); i += 2) f[r.elements[i].str] = r.elements[i + 1].str;
  return f;
}

std::string get(const Fields& f, const std::string& k, const std::string& dflt = "") {
  const auto it = f.find(k);
  return it == f.end() ? dflt : it->second;
}

int64_t redis_now_ms(ops::RedisConnection& c) {
  const RedisReply t = c.command({"TIME"});
  if (t.elements.size() < 2) return 0;
  return std::strtoll(t.elements[0].str.c_str(), nullptr, 10) * 1000 + std::strtoll(t.elements[1].str.c_str(), nullptr, 10) / 1000;
}

// An instance's journal lines read and stream records held, from its hash.
struct Progress {
  uint64_t lines = 0, acked = 0;
  static Progress of(const Fields& h) {
    return {std::strtoull(get(h, "journal_lines", "0").c_str(), nullptr, 10),
            std::strtoull(get(h, "stream_acked", "0").c_str(), nullptr, 10)};
  }
  uint64_t lag() const { return lines > acked ? lines - acked : 0; }
};

struct Firm {
  Fields state;
  std::vector<std::pair<std::string, Fields>> instances;  // name, its hash (empty: expired)
  std::map<std::string, int64_t> seen;                     // name -> last heartbeat
  int64_t now_ms = 0;
};

Firm read_firm(ops::RedisConnection& c, const ops::ClusterKeys& keys) {
  Firm f;
  f.state = hash_of(c.command({"HGETALL", keys.firm_state}));
  const Fields seen = hash_of(c.command({"HGETALL", keys.firm_seen}));
  f.now_ms = redis_now_ms(c);
  for (const auto& [name, at] : seen) {
    f.seen[name] = std::strtoll(at.c_str(), nullptr, 10);
    f.instances.emplace_back(name, hash_of(c.command({"HGETALL", keys.instance(name)})));
  }
  return f;
}

std::string positions_text(const std::string& json_text) {
  std::string out;
  try {
    for (const auto& p : nlohmann::json::parse(json_text)) {
      if (!out.empty()) out += ", ";
      out += p.value("symbol", "?") + " " + p.value("qty", "0");
    }
  } catch (const nlohmann::json::exception&) {
    return "?";
  }
  return out.empty() ? "-" : out;
}

int status(const Config& cfg, ops::RedisConnection& c, const ops::ClusterKeys& keys, bool json, std::ostream& out) {
  const Firm f = read_firm(c, keys);
  const int64_t ttl = cfg.cluster.instance_ttl_ms;
  if (json) {
    nlohmann::json j;
    j["firm"] = f.state;
    j["firm"]["daily_loss_limit"] = to_string_fixed(cfg.cluster.firm_daily_loss_limit);
    j["instances"] = nlohmann::json::array();
    for (const auto& [name, h] : f.instances) {
      nlohmann::json i(h);
      i["name"] = name;
      const int64_t age = f.now_ms - f.seen.at(name);
      i["heartbeat_age_ms"] = age;
      i["live"] = age <= ttl && !h.empty();
      i["stream_lag_records"] = Progress::of(h).lag();
      j["instances"].push_back(std::move(i));
    }
    out << j.dump(2) << "\n";
    return 0;
  }
  Fixed sum = 0;
  std::size_t live = 0;
  for (const auto& [name, h] : f.instances) {
    if (h.empty() || f.now_ms - f.seen.at(name) > ttl) continue;
    Fixed v = 0;
    if (parse_fixed_signed(get(h, "day_pnl", "0"), v)) sum += v;
    ++live;
  }
  out << "firm: " << get(f.state, "state", "ACTIVE");
  if (!get(f.state, "reason").empty())
    out << " (" << get(f.state, "reason") << " by " << get(f.state, "by") << ", generation " << get(f.state, "gen") << ")";
  out << "; day P&L " << to_string_fixed(sum) << " over " << live << " live instance" << (live == 1 ? "" : "s")
      << ", limit -" << to_string_fixed(cfg.cluster.firm_daily_loss_limit) << "\n";
  out << std::left << std::setw(20) << "instance" << std::setw(10) << "state" << std::setw(16) << "day_pnl"
      << std::setw(12) << "heartbeat" << std::setw(10) << "journal" << std::setw(10) << "stream" << std::setw(6)
      << "lag" << "positions\n";
  for (const auto& [name, h] : f.instances) {
    const int64_t age = f.now_ms - f.seen.at(name);
    const bool is_live = !h.empty() && age <= ttl;
    const Progress pr = Progress::of(h);
    std::ostringstream hb;
    hb << std::fixed << std::setprecision(1) << static_cast<double>(age) / 1000.0 << " s ago";
    out << std::left << std::setw(20) << name << std::setw(10) << (is_live ? get(h, "state", "?") : "GONE")
        << std::setw(16) << get(h, "day_pnl", "-") << std::setw(12) << hb.str() << std::setw(10) << pr.lines
        << std::setw(10) << pr.acked << std::setw(6) << pr.lag()
        << (h.empty() ? "-" : positions_text(get(h, "positions", "[]"))) << "\n";
  }
  return 0;
}

std::string default_by() {
  const char* user = std::getenv("USER");
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return std::string(user != nullptr && *user != '\0' ? user : "operator") + "@" + host;
}

int command(const Config& cfg, ops::RedisConnection& c, const ops::ClusterKeys& keys, const ClusterCliArgs& a,
            std::ostream& out, std::ostream& err) {
  const std::string& env = cfg.ops.admin_token_env;
  const char* token = env.empty() ? nullptr : std::getenv(env.c_str());
  if (token == nullptr || *token == '\0') {
    err << "tickpipe cluster " << a.action << ": needs the admin token in $" << (env.empty() ? "?" : env)
        << " ([ops] admin_token_env): every instance checks the command's signature with it\n";
    return 1;
  }
  const std::string state = a.action == "halt" ? "HALTED" : a.action == "reduce" ? "REDUCING" : "ACTIVE";
  const std::string by = a.by.empty() ? default_by() : a.by;
  std::string gen_after;
  for (int attempt = 0; attempt < 5 && gen_after.empty(); ++attempt) {
    const RedisReply g = c.command({"HGET", keys.firm_state, "gen"});
    const std::string gen = g.is_nil() ? "0" : g.str;
    const std::string at_ms = std::to_string(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
    const std::string sig = ops::firm_command_signature(token, keys.prefix, state, gen, by, at_ms);
    const RedisReply r = c.command({"EVAL", ops::kFirmCommandScript, "2", keys.firm_state, keys.firm_events, state, gen,
                                    by, at_ms, sig, keys.channel});
    if (r.is_error()) {
      err << "tickpipe cluster " << a.action << ": redis refused the command: " << r.str << "\n";
      return 1;
    }
    if (r.elements.size() >= 2 && r.elements[0].integer == 1) gen_after = r.elements[1].str;
  }
  if (gen_after.empty()) {
    err << "tickpipe cluster " << a.action << ": other commands kept changing the firm state; not applied\n";
    return 1;
  }
  out << "firm: " << state << " (generation " << gen_after << ", by " << by << ")\n";
  // Every live instance reports the state it is in with its next heartbeat.
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(a.wait_s);
  for (;;) {
    const Firm f = read_firm(c, keys);
    std::vector<std::string> behind;
    for (const auto& [name, h] : f.instances) {
      if (h.empty() || f.now_ms - f.seen.at(name) > cfg.cluster.instance_ttl_ms) continue;
      if (get(h, "state") != state) behind.push_back(name + " (" + get(h, "state", "?") + ")");
    }
    if (behind.empty()) {
      out << "every live instance reports " << state << "\n";
      return 0;
    }
    if (std::chrono::steady_clock::now() >= until) {
      err << "tickpipe cluster " << a.action << ": not yet " << state << " after " << a.wait_s << " s:";
      for (const std::string& b : behind) err << " " << b;
      err << " (an instance whose own daily loss limit halted it stays HALTED on resume, SPEC 5)\n";
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace

int cluster_cli(const ClusterCliArgs& a, std::ostream& out, std::ostream& err) {
  Config cfg;
  try {
    cfg = load_config_file(a.config);
  } catch (const std::exception& e) {
    err << "tickpipe cluster: " << e.what() << "\n";
    return 2;
  }
  if (!cfg.cluster.present) {
    err << "tickpipe cluster: " << a.config << " has no [cluster] table (SPEC 13: redis_url, instance, ...)\n";
    return 2;
  }
  const ops::ClusterKeys keys(cfg.cluster.key_prefix);
  try {
    const char* pw = cfg.cluster.password_env.empty() ? nullptr : std::getenv(cfg.cluster.password_env.c_str());
    ops::RedisConnection c(cfg.cluster.redis, pw == nullptr ? std::string() : std::string(pw),
                           std::chrono::milliseconds(cfg.cluster.timeout_ms));
    if (a.action == "status") return status(cfg, c, keys, a.json, out);
    return command(cfg, c, keys, a, out, err);
  } catch (const ops::RedisError& e) {
    err << "tickpipe cluster " << a.action << ": " << e.what() << "\n";
    return 1;
  }
}

}  // namespace tp
