#pragma once

// Webhook deliveries signed as AnchorBrowser signs them, for tests of POST /webhooks/anchorbrowser.
#include <string>

#include "base/hex.hpp"
#include "base/timestamp.hpp"
#include "ops/webhook_signature.hpp"

namespace tasksync::test {

// Lower-case hex of `mac`, as the v1= value carries it.
inline std::string hex(const Mac &mac) {
  std::string out;
  append_hex(out, mac);
  return out;
}

// The current time in Unix seconds (the daemon's own clock helper, so a test signs with its time).
inline long long unix_now() { return tasksync::unix_now(); }

// The Anchor-Signature value for `body` signed with `secret` at `timestamp`.
inline std::string anchor_signature(const std::string &secret, const std::string &body, long long timestamp) {
  const std::string t = std::to_string(timestamp);
  return "t=" + t + ",v1=" + hex(*anchor_signature_mac(secret, t, body));
}

// A task event's body: {"id": ID, "type": TYPE, ..., "data": {"task_id": TASK,
// "healed_task_version_id": HEALED}}.
inline std::string task_event(const std::string &id, const std::string &type, const std::string &task,
                              const std::string &task_field = "task_id", const std::string &healed = "v-2") {
  return "{\"id\":\"" + id + "\",\"type\":\"" + type +
         "\",\"created\":\"2026-11-20T14:31:07Z\",\"project_id\":\"p-1\",\"text\":\"Task " + type + "\",\"data\":{\"" +
         task_field + "\":\"" + task + "\",\"healed_task_version_id\":\"" + healed + "\"}}";
}

} // namespace tasksync::test
