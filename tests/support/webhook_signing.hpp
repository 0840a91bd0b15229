#pragma once

// Webhook deliveries signed as AnchorBrowser signs them, for tests of POST /webhooks/anchorbrowser.
#include <chrono>
#include <cstdio>
#include <string>

#include "ops/webhook_signature.hpp"

namespace tasksync::test {

// Lower-case hex of `mac`.
inline std::string hex(const Mac &mac) {
  std::string out;
  char byte[3];
  for (const unsigned char c : mac) {
    std::snprintf(byte, sizeof byte, "%02x", c);
    out += byte;
  }
  return out;
}

// The current time in Unix seconds.
inline long long unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

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
