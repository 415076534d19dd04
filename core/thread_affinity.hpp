// Pinning the calling thread to one CPU (Linux). Outside the hot path: called once per stage.
#pragma once

#include <string>

namespace tp {

// Pins the calling thread to `cpu`. Returns an empty string on success, else why it failed
// (the caller warns and runs unpinned: a machine may have fewer CPUs than the config names).
std::string pin_current_thread(int cpu);

// Names the calling thread (visible in top -H, perf, gdb). Truncated to 15 characters.
void name_current_thread(const char* name);

}  // namespace tp
