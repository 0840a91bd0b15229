#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tasksync {

// What the API announced about retiring one of its endpoints: the Deprecation (RFC 9745) and
// Sunset (RFC 8594) response headers.
struct EndpointNotice {
  std::string endpoint;                      // e.g. "GET /v1/task/{id}/latest"
  std::string deprecation;                   // the Deprecation header as sent; empty when absent
  std::optional<std::int64_t> deprecated_at; // when it is, or was, deprecated (Unix seconds)
  std::string sunset;                        // the Sunset header as sent; empty when absent
  std::optional<std::int64_t> sunset_at;     // when it stops answering (Unix seconds)
};

// The endpoint a request path is an instance of: task IDs become {id}, version numbers
// {version}, and the query goes ("/v1/task/3c90.../7" -> "GET /v1/task/{id}/{version}").
std::string endpoint_of(std::string_view path);

// The endpoints the API said are deprecated or will be retired, this run. The first notice for
// an endpoint (and any that says something new) is logged as a warning naming the endpoint and
// the dates, so an operator hears of a retirement before it happens. Shared by a run's clients;
// thread-safe.
class DeprecationNotices {
public:
  // Records the headers of one answer to `path`; both nullopt is a no-op.
  void record(std::string_view path, const std::optional<std::string> &deprecation,
              const std::optional<std::string> &sunset);

  // Every endpoint with a notice, by endpoint.
  std::vector<EndpointNotice> all() const;

private:
  mutable std::mutex m_mutex;
  std::map<std::string, EndpointNotice> m_notices;
};

} // namespace tasksync
