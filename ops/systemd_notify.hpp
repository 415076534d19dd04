// The service manager's side of the lifecycle (deploy/systemd/tickpipe.service, Type=notify):
// READY=1 once the stages run, WATCHDOG=1 from the monitor while no stage has stalled, STOPPING=1
// when a stop begins, and STATUS= lines a person sees in `systemctl status`. Through libsystemd's
// sd_notify; outside systemd (no NOTIFY_SOCKET) every call does nothing.
#pragma once

#include <cstdint>
#include <string>

namespace tp::ops {

class SystemdNotify {
 public:
  SystemdNotify();
  bool active() const noexcept { return active_; }
  // The ping interval systemd expects (half of WatchdogSec), or 0 when its watchdog is off.
  int64_t watchdog_interval_ms() const noexcept { return watchdog_ms_; }

  void ready(const char* status) const noexcept;
  void watchdog() const noexcept;
  void stopping(const char* status) const noexcept;
  void status(const char* status) const noexcept;

 private:
  bool active_ = false;
  int64_t watchdog_ms_ = 0;
};

}  // namespace tp::ops
