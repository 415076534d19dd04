// The Redis keys and channel of one firm's cluster (docs/cluster.md "Keys"), from [cluster]
// key_prefix. One place names them: the cluster link, `tickpipe cluster` and the tests.
#pragma once

#include <string>

namespace tp::ops {

struct ClusterKeys {
  std::string prefix;
  std::string firm_state;    // hash: state, gen, reason, by, at_ms, sig, armed, breach_sum
  std::string firm_pnl;      // hash: instance -> day P&L (raw fixed point, 1e-8 units)
  std::string firm_seen;     // hash: instance -> last heartbeat (Redis TIME, ms)
  std::string channel;       // pub/sub: a new firm state's generation
  std::string firm_events;   // stream: every firm state change (breach, operator command), for audit

  explicit ClusterKeys(const std::string& key_prefix)
      : prefix(key_prefix),
        firm_state(key_prefix + ":firm:state"),
        firm_pnl(key_prefix + ":firm:pnl"),
        firm_seen(key_prefix + ":firm:seen"),
        channel(key_prefix + ":firm:control"),
        firm_events(key_prefix + ":firm:events") {}

  // hash: the instance's figures (state, day P&L, positions, heartbeat, journal progress), expiring
  std::string instance(const std::string& name) const { return prefix + ":instance:" + name; }
  // stream: the instance's journal, one entry per record, ID 0-<line number>
  std::string journal(const std::string& name) const { return prefix + ":journal:" + name; }
};

}  // namespace tp::ops
