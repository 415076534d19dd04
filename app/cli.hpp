// The command line (SPEC §8). Returns the process exit status: 0 done, 1 the run failed,
// 2 bad usage or configuration.
#pragma once

#include "ops/engine_view.hpp"

namespace tp {
// `ops_endpoint`: makes the [ops] HTTP endpoint (the tickpipe binary passes
// ops::make_http_endpoint; null: a configuration with [ops] is an error).
int run_cli(int argc, char** argv, ops::EndpointFactory ops_endpoint);
}  // namespace tp
