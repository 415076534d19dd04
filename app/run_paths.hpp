// The files a run reads and writes, checked before it changes any of them (docs/durability.md):
// every capture readable, every output writable, and no output the same file as an input or as
// another output (the same file by device and inode when it exists, by its absolute path with
// symbolic links resolved otherwise).
#pragma once

#include <string>
#include <vector>

namespace tp {

struct RunPath {
  std::string what;  // how the user named it: "capture", "-c", "--journal", ...
  std::string path;
};

struct RunPaths {
  std::vector<RunPath> captures;  // must be readable
  std::vector<RunPath> inputs;    // other inputs (the config: its own loader reports it)
  std::vector<RunPath> outputs;   // must be writable; written (or replaced) only once the run starts
};

// Throws UsageError (exit 2) naming both paths when an output is the same file as an input or
// another output, or when a path is empty; RunError (exit 1) with the reason the OS gives when a
// capture cannot be read or an output cannot be written. Changes nothing.
void check_run_paths(const RunPaths& paths);

}  // namespace tp
