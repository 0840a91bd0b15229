#pragma once

#include <mutex>
#include <string>
#include <string_view>

namespace tasksync {

// The token a request to POST /sync must carry as `Authorization: Bearer <token>`. Thread-safe:
// a reload replaces it while the status server compares.
class BearerToken {
public:
  // `token` must not be empty.
  explicit BearerToken(std::string token);

  // Replaces the token (a reload read the file again).
  void set(std::string token);
  // True when `authorization` (the header's value) is "Bearer " and the token. The comparison
  // takes the same time wherever the first difference is and whatever the lengths.
  bool accepts(std::string_view authorization) const;

private:
  mutable std::mutex m_mutex;
  std::string m_token;
};

} // namespace tasksync
