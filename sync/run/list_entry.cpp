#include "run/list_entry.hpp"

#include <rapidjson/document.h>

#include "pack/object_id.hpp"
#include "render/render.hpp"

namespace tasksync {
namespace {

std::optional<ListedDigest> digest_of(const std::optional<ListedVersion> &latest) {
  if (!latest) return std::nullopt;
  ListedDigest digest{latest->version, latest->language, object_id(GIT_OBJECT_BLOB, latest->code), std::nullopt};
  if (latest->browser_configuration) {
    rapidjson::Document configuration;
    configuration.Parse(latest->browser_configuration->data(), latest->browser_configuration->size());
    if (configuration.HasParseError()) return std::nullopt;
    digest.configuration_id = object_id(GIT_OBJECT_BLOB, canonical_configuration(configuration));
  }
  return digest;
}

} // namespace

Result<ListedPage, FetchError> read_listed_page(ApiClient &client, int page, int limit, std::stop_token stop,
                                                std::optional<std::chrono::steady_clock::time_point> give_up_at) {
  ListedPage listed;
  TRY_ASSIGN(
      listed.total,
      client.list_tasks(
          page, limit,
          [&](ListedTask task) {
            listed.tasks.push_back({std::move(task.id), std::move(task.name), task.deleted, digest_of(task.latest)});
          },
          stop, give_up_at));
  return listed;
}

} // namespace tasksync
