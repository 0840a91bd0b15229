#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "config.hpp"
#include "metrics.hpp"
#include "result.hpp"

namespace httplib {
class Server;
}

namespace tasksync {

// The answer to GET /healthz: healthy or not, and a small JSON body that says why.
struct HealthReport {
  bool healthy = false;
  std::string json;
};

// Serves GET /healthz (200 or 503) and GET /metrics (Prometheus text) on http.listen.
class StatusServer {
public:
  using HealthProbe = std::function<HealthReport()>;

  // Binds http.host:http.port and serves from a thread of its own until destroyed.
  static Result<std::unique_ptr<StatusServer>> start(const HttpSettings &settings, const Metrics &metrics,
                                                     HealthProbe probe);
  ~StatusServer();
  StatusServer(const StatusServer &) = delete;
  StatusServer &operator=(const StatusServer &) = delete;

private:
  StatusServer() = default;

  std::unique_ptr<httplib::Server> m_server;
  std::thread m_thread;
};

} // namespace tasksync
