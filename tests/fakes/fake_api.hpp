#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace httplib {
class Server;
struct Request;
struct Response;
} // namespace httplib

namespace tasksync::test {

// One task version as the fake API serves it; to_json() builds the real response body.
struct FakeVersion {
  std::string id = "9b2f6c1e-4d3a-4f5b-8c7d-1e2f3a4b5c6d"; // the version's own ID (a draft's is its Task-Draft-Id)
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

// A server certificate (PEM, may carry its chain) and its private key (PEM), for serving HTTPS.
struct TlsIdentity {
  std::filesystem::path cert_file;
  std::filesystem::path key_file;
};

// A distinct, valid task ID for `number`: 00000001-0000-4000-8000-000000000001 for 1.
std::string numbered_task_id(int number);

// Base64 of `bytes` (standard alphabet, no line breaks).
std::string encode_base64(const std::string &bytes);

// The AnchorBrowser Tasks API, served on 127.0.0.1 by cpp-httplib in a thread of this process.
// Every answer can be replaced to inject errors and network faults; requests are counted per task.
class FakeApi {
public:
  // An exact answer: status, body, a delay before it is sent, extra headers, and a trickle pace.
  struct Reply {
    int status = 200;
    std::string body;
    std::chrono::milliseconds delay{0};
    // Extra response headers, e.g. {"Retry-After", "2"}. The `{}` keeps three-field initialisers
    // `{status, body, delay}` clear of GCC's -Wmissing-field-initializers.
    std::multimap<std::string, std::string> headers{};
    // When non-zero, the body goes out one byte at a time with this pause before each byte
    // (with `chunked`, every byte of the chunk framing too).
    std::chrono::milliseconds trickle{0};
    // When non-zero, the status line and headers go out one byte at a time with this pause
    // before each byte, and the connection is closed after the reply.
    std::chrono::milliseconds trickle_head{0};
    // Sends the body with `Transfer-Encoding: chunked`, one byte per chunk, and closes the
    // connection after the reply.
    bool chunked = false;
  };

  // Starts serving HTTP on a free port; requests must carry `api_key`.
  explicit FakeApi(std::string api_key = "test-api-key");
  // Starts serving HTTPS with `tls` on a free port; requests must carry `api_key`.
  FakeApi(std::string api_key, const TlsIdentity &tls);
  ~FakeApi();
  FakeApi(const FakeApi &) = delete;
  FakeApi &operator=(const FakeApi &) = delete;

  // "http://127.0.0.1:<port>", or "https://localhost:<port>" when serving HTTPS.
  std::string base_url() const;
  // Serves `version` as the task's latest version, and records it in the task's history
  // (GET .../versions and .../{version}), replacing an entry with the same version number.
  void set_version(const FakeVersion &version);
  // Records a version in the task's history only (e.g. an older one, or a draft).
  void add_version(const FakeVersion &version);
  // Serves `draft` (its version is made "draft") as the task's draft: GET /v1/task/{id}/draft and
  // the "draft" entry of /versions. nullopt: the task has no draft (404).
  void set_draft(const std::string &task_id, std::optional<FakeVersion> draft);
  // Requests seen for GET /v1/task/{id}/draft.
  int draft_requests(const std::string &task_id) const;
  // Serves `reply` for GET /v1/task/{id}/{version} instead of the recorded version (which
  // /versions still lists): a 404, a version that answers for another one.
  void set_version_reply(const std::string &task_id, const std::string &version, Reply reply);
  // Requests seen for GET /v1/task/{id}/versions and GET /v1/task/{id}/{number}, together.
  int history_requests(const std::string &task_id) const;
  // The task's name in GET /v1/task/{id} and in the task list.
  void set_name(const std::string &task_id, std::string name);
  // Drops the task from GET /v1/task/{id} and the task list (its replies stay).
  void unlist(const std::string &task_id);
  // Serves `reply` for the task instead, whatever it is; same as set_replies(task_id, {reply}).
  // The list then shows the task without its latest version's fields, so that a pass fetches it.
  void set_reply(const std::string &task_id, Reply reply);
  // Serves `replies` in order, one per request, repeating the last; an empty list drops the override.
  void set_replies(const std::string &task_id, std::vector<Reply> replies);
  // Serves `<dir>/<taskId>.json` for tasks without a version or reply (re-read on every request),
  // and `<dir>/<taskId>.draft.json`, when there is one, as the task's draft.
  void set_tasks_dir(std::filesystem::path dir);
  // What the task list shows as the task's latest version instead of the real one (a list that
  // is stale or wrong); nullopt drops the override.
  void set_listed(const std::string &task_id, std::optional<FakeVersion> listed);
  // Serves `reply` for every GET /v1/task (e.g. a 404 once the endpoint is retired); nullopt
  // serves the list again.
  void set_list_reply(std::optional<Reply> reply);
  // Serves at most `tasks` tasks a page of GET /v1/task whatever `limit` asks, as a server with a
  // smaller page size does (data.limit says `tasks`); 0 serves `limit` tasks again.
  void serve_at_most_per_page(int tasks);
  // Answers the next GET /v1/task for `page` with no tasks (data.total unchanged), once.
  void empty_page_once(int page);
  // Holds GET /v1/task requests until `pages` of them are in flight at once (at most 5 s), then
  // answers them and every later one at once: a test sees whether a client asks pages side by side.
  void hold_list_until_in_flight(int pages);
  // The most GET /v1/task requests seen in flight at once.
  int most_list_requests_in_flight() const;
  // Requests seen for the task's latest version.
  int requests(const std::string &task_id) const;
  // Requests seen for GET /v1/task (pages of the list).
  int list_requests() const;
  // Requests seen for GET /v1/task/{id}.
  int metadata_requests(const std::string &task_id) const;
  // Requests refused for a wrong or missing key.
  int rejected_keys() const;

private:
  FakeApi(std::string api_key, std::unique_ptr<httplib::Server> server, std::string origin);
  Reply answer(const std::string &task_id, const std::string &key);
  void serve_catalogue();
  bool key_ok(const httplib::Request &request, httplib::Response &response);
  // Waits `duration`; false when cut short because this is being destroyed.
  bool wait_unless_stopping(std::chrono::milliseconds duration);
  // Writes `reply` as raw bytes on the connection `request` came in on, paced as it says.
  void send_raw(const httplib::Request &request, const Reply &reply);

  std::string m_api_key;
  std::unique_ptr<httplib::Server> m_server; // an httplib::SSLServer when serving HTTPS
  std::string m_origin;                      // base_url() without the port
  std::thread m_thread;
  int m_port = 0;
  mutable std::mutex m_mutex;
  std::map<std::string, std::deque<Reply>> m_replies; // the front is served next; the last one stays
  std::map<std::string, int> m_requests;
  std::map<std::string, int> m_metadata_requests;
  std::map<std::string, std::vector<FakeVersion>> m_history;              // by task, in the order recorded
  std::map<std::string, FakeVersion> m_listed;                            // set_listed()
  std::map<std::pair<std::string, std::string>, Reply> m_version_replies; // set_version_reply()
  std::map<std::string, int> m_history_requests;
  std::map<std::string, int> m_draft_requests;
  std::set<std::string> m_overridden; // tasks whose /latest set_reply() replaced: listed without their version
  std::optional<Reply> m_list_reply;  // set_list_reply()
  int m_most_per_page = 0;            // serve_at_most_per_page(); 0: as `limit` asks
  std::set<int> m_empty_once;         // empty_page_once(): pages answered empty next time
  int m_list_requests = 0;
  int m_list_hold = 0; // hold_list_until_in_flight()
  int m_list_in_flight = 0;
  int m_most_list_in_flight = 0;
  std::condition_variable m_list_arrived;
  std::map<std::string, std::string> m_names;
  std::optional<std::filesystem::path> m_tasks_dir;
  int m_rejected_keys = 0;
  bool m_stopping = false;
  std::condition_variable m_stopped; // cuts delayed and trickled answers short on shutdown
};

} // namespace tasksync::test
