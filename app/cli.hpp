// The command line (SPEC §8). Returns the process exit status: 0 done, 1 the run failed,
// 2 bad usage or configuration.
#pragma once

namespace tp {
int run_cli(int argc, char** argv);
}  // namespace tp
