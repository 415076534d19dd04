// `tickpipe cluster status|halt|reduce|resume -c CONFIG` (SPEC §13, docs/cluster.md): the firm's
// instances as Redis holds them, and the firm-wide kill switch. halt/reduce/resume are signed with
// the admin token ([ops] admin_token_env, the token of POST /admin/*); every instance checks the
// signature before it acts.
#pragma once

#include <iosfwd>
#include <string>

namespace tp {

struct ClusterCliArgs {
  std::string action;  // status | halt | reduce | resume
  std::string config;
  bool json = false;     // status: JSON instead of a table
  std::string by;        // who gives the command (default: $USER@host)
  double wait_s = 5.0;   // halt/reduce/resume: how long to wait for every live instance to report it
};

// Returns the process exit code: 0 done (every live instance reports the state, for a command),
// 1 a failure (Redis unreachable, no token, instances that did not follow within wait_s), 2 usage.
int cluster_cli(const ClusterCliArgs& a, std::ostream& out, std::ostream& err);

}  // namespace tp
