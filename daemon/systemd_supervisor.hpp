#pragma once

#include "service/service.hpp"

namespace tasksyncd {

// Tells systemd how the service is doing through sd_notify; does nothing without systemd
// (no $NOTIFY_SOCKET), so the daemon runs the same either way.
class SystemdSupervisor : public tasksync::Supervisor {
public:
  SystemdSupervisor();
  void ready() override;
  void status(const std::string &line) override;
  void watchdog() override;
  void stopping() override;
  std::optional<std::chrono::microseconds> watchdog_interval() const override;

private:
  std::optional<std::chrono::microseconds> m_watchdog;
};

} // namespace tasksyncd
