#include "systemd_supervisor.hpp"

#include <systemd/sd-daemon.h>

namespace tasksyncd {

SystemdSupervisor::SystemdSupervisor() {
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) m_watchdog = std::chrono::microseconds(usec);
}

void SystemdSupervisor::ready() { sd_notify(0, "READY=1"); }

void SystemdSupervisor::status(const std::string &line) { sd_notify(0, ("STATUS=" + line).c_str()); }

void SystemdSupervisor::watchdog() { sd_notify(0, "WATCHDOG=1"); }

void SystemdSupervisor::stopping() { sd_notify(0, "STOPPING=1"); }

std::optional<std::chrono::microseconds> SystemdSupervisor::watchdog_interval() const { return m_watchdog; }

} // namespace tasksyncd
