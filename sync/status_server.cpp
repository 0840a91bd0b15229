#include "status_server.hpp"

#include <httplib.h>
#include <sys/socket.h>

#include <chrono>

namespace tasksync {

Result<std::unique_ptr<StatusServer>> StatusServer::start(const HttpSettings &settings, const Metrics &metrics,
                                                          HealthProbe probe) {
  std::unique_ptr<StatusServer> server(new StatusServer());
  server->m_server = std::make_unique<httplib::Server>();
  // cpp-httplib's default adds SO_REUSEPORT, which would let a second process share the port
  // silently; an address in use must be an error.
  server->m_server->set_socket_options([](socket_t socket) {
    const int yes = 1;
    ::setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  server->m_server->Get("/healthz", [probe = std::move(probe)](const httplib::Request &, httplib::Response &response) {
    const HealthReport report = probe();
    response.status = report.healthy ? 200 : 503;
    response.set_content(report.json, "application/json");
  });
  server->m_server->Get("/metrics", [&metrics](const httplib::Request &, httplib::Response &response) {
    response.set_content(metrics.serialize(), "text/plain; version=0.0.4");
  });
  const std::string where = settings.host.value_or("127.0.0.1") + ":" + std::to_string(settings.port);
  if (!server->m_server->bind_to_port(settings.host.value_or("127.0.0.1"), settings.port)) {
    return Error{"http.listen: cannot listen on " + where + " (address in use, or not an address of this host)"};
  }
  server->m_thread = std::thread([raw = server->m_server.get()] { raw->listen_after_bind(); });
  // stop() is a no-op until the server runs: wait, so that destroying it never hangs.
  while (!server->m_server->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return server;
}

StatusServer::~StatusServer() {
  m_server->stop();
  if (m_thread.joinable()) m_thread.join();
}

} // namespace tasksync
