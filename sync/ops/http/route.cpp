#include "ops/http/route.hpp"

namespace tasksync::http {

std::string_view to_string(Method method) { return method == Method::get ? "GET" : "POST"; }

int status_of(Refusal refusal) {
  switch (refusal) {
  case Refusal::malformed: return 400;
  case Refusal::too_large: return 413;
  case Refusal::busy: return 503;
  }
  return 400;
}

Route use_post(std::string path) {
  return {Method::get, std::move(path), [](const Request &) {
            return Response{405, "application/json", "{\"error\":\"use POST\"}\n", {{"Allow", "POST"}}};
          }};
}

} // namespace tasksync::http
