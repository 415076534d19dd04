#include "core/threads/thread_affinity.hpp"

#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

namespace tp {

std::string pin_current_thread(int cpu) {
  if (cpu < 0) return {};
  if (cpu >= CPU_SETSIZE) return "cpu " + std::to_string(cpu) + " is out of range";
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  const int rc = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
  if (rc != 0) return "cannot pin to cpu " + std::to_string(cpu) + ": " + std::strerror(rc);
  return {};
}

void name_current_thread(const char* name) {
  char buf[16];
  std::strncpy(buf, name, sizeof(buf) - 1);
  buf[sizeof(buf) - 1] = '\0';
  pthread_setname_np(pthread_self(), buf);
}

std::string set_current_thread_fifo(int priority) {
  if (priority <= 0) return {};
  const int lo = sched_get_priority_min(SCHED_FIFO);
  const int hi = sched_get_priority_max(SCHED_FIFO);
  if (priority < lo || priority > hi) {
    return "SCHED_FIFO priority " + std::to_string(priority) + " is outside " + std::to_string(lo) + ".." +
           std::to_string(hi) + "; running SCHED_OTHER";
  }
  sched_param param{};
  param.sched_priority = priority;
  const int rc = pthread_setschedparam(pthread_self(), SCHED_FIFO, &param);
  if (rc == 0) return {};
  if (rc == EPERM) {
    return "SCHED_FIFO needs CAP_SYS_NICE or an rtprio limit of at least " + std::to_string(priority) +
           " (ulimit -r, or rtprio in /etc/security/limits.conf); running SCHED_OTHER";
  }
  return std::string("cannot set SCHED_FIFO ") + std::to_string(priority) + ": " + std::strerror(rc) +
         "; running SCHED_OTHER";
}

std::string lock_process_memory() {
  if (mlockall(MCL_CURRENT | MCL_FUTURE) == 0) return {};
  const int err = errno;
  return std::string("cannot lock memory (mlockall: ") + std::strerror(err) +
         "): raise RLIMIT_MEMLOCK (ulimit -l unlimited, or memlock in /etc/security/limits.conf, or "
         "LimitMEMLOCK= for a systemd service) or grant CAP_IPC_LOCK; pages may be faulted in on the hot path";
}

int online_cpu_count() {
  const long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<int>(n) : 1;
}

std::vector<int> allowed_cpus() {
  std::vector<int> cpus;
  cpu_set_t set;
  CPU_ZERO(&set);
  // getpid() names the main thread, whose mask is the process's unless it pinned itself.
  if (sched_getaffinity(getpid(), sizeof(set), &set) != 0) return cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
  }
  return cpus;
}

std::string placement_warning(int busy_spin_stages, int allowed_cpu_count) {
  if (busy_spin_stages <= 0 || allowed_cpu_count <= 0 || busy_spin_stages < allowed_cpu_count) return {};
  return std::to_string(busy_spin_stages) + " busy-spinning stage" + (busy_spin_stages == 1 ? "" : "s") + " on " +
         std::to_string(allowed_cpu_count) + " allowed CPU" + (allowed_cpu_count == 1 ? "" : "s") +
         ": they would starve each other, the journal writer and the OS; set threads.wait to "
         "\"spin_then_yield\" or \"blocking\", or give the process more CPUs";
}

}  // namespace tp
