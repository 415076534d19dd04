// Thread placement (Linux): pinning, naming, real-time priority, locked memory, and what CPUs the
// process may use. Outside the hot path: called once per stage or once at start-up.
//
// Every call that can fail returns an empty string on success, else why it failed in words an
// operator can act on; none throws. The engine warns and carries on (unpinned, SCHED_OTHER,
// unlocked): a machine that cannot do what the config asks can still replay correctly.
#pragma once

#include <string>
#include <vector>

namespace tp {

// Pins the calling thread to `cpu` (cpu < 0: leave it unpinned, return ""). Returns an empty
// string on success, else why it failed (the caller warns and runs unpinned: a machine may have
// fewer CPUs than the config names).
std::string pin_current_thread(int cpu);

// Names the calling thread (visible in top -H, perf, gdb). Truncated to 15 characters.
void name_current_thread(const char* name);

// Makes the calling thread SCHED_FIFO at `priority` (1..99). priority <= 0 leaves its policy
// alone and returns "". Without the privilege (EPERM) the message says how to grant it; the
// thread stays SCHED_OTHER.
std::string set_current_thread_fifo(int priority);

// mlockall(MCL_CURRENT | MCL_FUTURE): no page of the process is swapped out, and pages mapped
// later are faulted in at mapping time rather than on the hot path. On failure the message names
// RLIMIT_MEMLOCK (ulimit -l) and CAP_IPC_LOCK.
std::string lock_process_memory();

// CPUs online (sysconf(_SC_NPROCESSORS_ONLN)); at least 1.
int online_cpu_count();

// The CPUs the process may run on (the main thread's affinity mask, sched_getaffinity(getpid()),
// which a container or taskset narrows), ascending. Empty if it cannot be read. Reflects the
// main thread: call it before the main thread pins itself.
std::vector<int> allowed_cpus();

// A warning when `busy_spin_stages` threads that never give their core back would have no spare
// CPU (busy_spin_stages >= allowed_cpu_count): they starve each other, the journal writer and
// the operating system. "" when they fit, when there are none, or when the count is unknown
// (allowed_cpu_count <= 0).
std::string placement_warning(int busy_spin_stages, int allowed_cpu_count);

}  // namespace tp
