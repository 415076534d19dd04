#include "core/thread_affinity.hpp"

#include <pthread.h>
#include <sched.h>

#include <cstring>
#include <string>

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

}  // namespace tp
