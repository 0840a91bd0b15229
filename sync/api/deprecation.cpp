#include "api/deprecation.hpp"

#include "api/http_date.hpp"
#include "base/log.hpp"
#include "base/text.hpp"
#include "base/timestamp.hpp"

namespace tasksync {
namespace {

// Header values go into log lines and metric labels: a bounded, printable piece of them.
constexpr std::size_t kLongestValue = 100;

std::string bounded(const std::string &value) {
  return value.size() <= kLongestValue ? value : value.substr(0, kLongestValue) + "...";
}

// RFC 9745's "@<Unix seconds>", or the HTTP-date of earlier drafts; "true" (draft) has no date.
std::optional<std::int64_t> deprecation_date(std::string_view value) {
  if (value.starts_with('@')) {
    const std::string_view digits = value.substr(1);
    if (!is_decimal(digits) || digits.size() > 12) {
      return std::nullopt;
    }
    return std::stoll(std::string(digits));
  }
  return parse_http_date(value);
}

std::string described(const std::string &header, const std::string &value, const std::optional<std::int64_t> &at) {
  return header + ": " + value + (at ? " = " + utc_date_time(*at) : "");
}

} // namespace

std::string endpoint_of(std::string_view path) {
  path = path.substr(0, path.find('?'));
  std::string endpoint = "GET ";
  std::size_t start = 0;
  while (start < path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view segment = path.substr(start, end - start);
    const bool number = is_decimal(segment);
    if (is_uuid(segment))
      endpoint += "{id}";
    else if (number)
      endpoint += "{version}";
    else
      endpoint += segment;
    if (end < path.size()) endpoint += '/';
    start = end + 1;
  }
  return endpoint;
}

void DeprecationNotices::record(std::string_view path, const std::optional<std::string> &deprecation,
                                const std::optional<std::string> &sunset) {
  if (!deprecation && !sunset) return;
  EndpointNotice notice;
  notice.endpoint = endpoint_of(path);
  if (deprecation) {
    notice.deprecation = bounded(*deprecation);
    notice.deprecated_at = deprecation_date(*deprecation);
  }
  if (sunset) {
    notice.sunset = bounded(*sunset);
    notice.sunset_at = parse_http_date(*sunset);
  }
  {
    std::lock_guard lock(m_mutex);
    const auto known = m_notices.find(notice.endpoint);
    if (known != m_notices.end() && known->second.deprecation == notice.deprecation &&
        known->second.sunset == notice.sunset) {
      return;
    }
    m_notices[notice.endpoint] = notice;
  }
  std::string said;
  if (deprecation) said = described("Deprecation", notice.deprecation, notice.deprecated_at);
  if (sunset) said += (said.empty() ? "" : ", ") + described("Sunset", notice.sunset, notice.sunset_at);
  log::warning("the API announces that " + notice.endpoint + ", which tasksyncd depends on, " +
               (sunset ? "will be retired" : "is deprecated") + " (" + said +
               "): look for a tasksyncd release that no longer needs it");
}

std::vector<EndpointNotice> DeprecationNotices::all() const {
  std::lock_guard lock(m_mutex);
  std::vector<EndpointNotice> notices;
  for (const auto &[endpoint, notice] : m_notices)
    notices.push_back(notice);
  return notices;
}

} // namespace tasksync
