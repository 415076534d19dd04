#include "ops/systemd_notify.hpp"

#include <systemd/sd-daemon.h>

#include <cstdlib>

namespace tp::ops {

SystemdNotify::SystemdNotify() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  active_ = socket != nullptr && *socket != '\0';
  uint64_t usec = 0;
  if (active_ && sd_watchdog_enabled(0, &usec) > 0) watchdog_ms_ = static_cast<int64_t>(usec / 2000);
}

void SystemdNotify::ready(const char* status) const noexcept {
  if (!active_) return;
  std::string msg = "READY=1\nSTATUS=";
  msg.append(status);
  sd_notify(0, msg.c_str());
}

void SystemdNotify::watchdog() const noexcept {
  if (active_ && watchdog_ms_ > 0) sd_notify(0, "WATCHDOG=1");
}

void SystemdNotify::stopping(const char* status) const noexcept {
  if (!active_) return;
  std::string msg = "STOPPING=1\nSTATUS=";
  msg.append(status);
  sd_notify(0, msg.c_str());
}

void SystemdNotify::status(const char* status) const noexcept {
  if (!active_) return;
  std::string msg = "STATUS=";
  msg.append(status);
  sd_notify(0, msg.c_str());
}

}  // namespace tp::ops
