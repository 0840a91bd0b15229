#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace httplib {
class Server;
}

namespace tasksync::test {

// One task version as the fake API serves it; to_json() builds the real response body.
struct FakeVersion {
  std::string task_id;
  std::string version = "1";
  std::string code = "export default async function run() {}\n"; // plain text; served base64-encoded
  std::optional<std::string> language = "typescript";
  std::optional<std::string> description = "a task";
  std::optional<std::string> browser_configuration = R"({"initial_url":"https://example.com"})"; // JSON text
  bool deleted = false;
  std::string created_at = "2026-10-01T08:00:00Z";
  std::string updated_at = "2026-11-20T14:31:07Z";

  // The `GET /v1/task/{id}/latest` 200 body.
  std::string to_json() const;
};

// Base64 of `bytes` (standard alphabet, no line breaks).
std::string encode_base64(const std::string &bytes);

// The AnchorBrowser Tasks API, served on 127.0.0.1 by cpp-httplib in a thread of this process.
// Every answer can be replaced to inject errors; requests are counted per task.
class FakeApi {
public:
  // An exact answer: status, body, and a delay before it is sent.
  struct Reply {
    int status = 200;
    std::string body;
    std::chrono::milliseconds delay{0};
  };

  // Starts serving on a free port; requests must carry `api_key`.
  explicit FakeApi(std::string api_key = "test-api-key");
  ~FakeApi();
  FakeApi(const FakeApi &) = delete;
  FakeApi &operator=(const FakeApi &) = delete;

  // "http://127.0.0.1:<port>".
  std::string base_url() const;
  // Serves `version` as the task's latest version.
  void set_version(const FakeVersion &version);
  // Serves `reply` for the task instead, whatever it is.
  void set_reply(const std::string &task_id, Reply reply);
  // Serves `<dir>/<taskId>.json` for tasks without a version or reply (re-read on every request).
  void set_tasks_dir(std::filesystem::path dir);
  // Requests seen for the task's latest version.
  int requests(const std::string &task_id) const;
  // Requests refused for a wrong or missing key.
  int rejected_keys() const;

private:
  Reply answer(const std::string &task_id, const std::string &key);

  std::string m_api_key;
  std::unique_ptr<httplib::Server> m_server;
  std::thread m_thread;
  int m_port = 0;
  mutable std::mutex m_mutex;
  std::map<std::string, Reply> m_replies;
  std::map<std::string, int> m_requests;
  std::optional<std::filesystem::path> m_tasks_dir;
  int m_rejected_keys = 0;
  bool m_stopping = false;
  std::condition_variable m_stopped; // cuts delayed answers short on shutdown
};

} // namespace tasksync::test
