#include "fake_api.hpp"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>

namespace tasksync::test {
namespace {

std::string error_body(int code, const std::string &message) {
  return R"({"error":{"code":)" + std::to_string(code) + R"(,"message":")" + message + R"("}})";
}

std::unique_ptr<httplib::Server> make_tls_server(const TlsIdentity &tls) {
  auto server = std::make_unique<httplib::SSLServer>(tls.cert_file.c_str(), tls.key_file.c_str());
  if (!server->is_valid())
    throw std::runtime_error("FakeApi: cannot serve HTTPS with " + tls.cert_file.string() + " and " +
                             tls.key_file.string());
  return server;
}

// The server's end of the connection from `remote_port` to `local_port`: cpp-httplib gives a
// handler no access to its socket, and writes a response's head in one piece and frames chunks
// itself, so a reply that trickles those bytes must write to the socket directly.
int connection_socket(int local_port, int remote_port) {
  for (const auto &entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    const int fd = std::atoi(entry.path().filename().c_str());
    sockaddr_in local{};
    sockaddr_in peer{};
    socklen_t length = sizeof local;
    if (::getsockname(fd, reinterpret_cast<sockaddr *>(&local), &length) != 0 || local.sin_family != AF_INET ||
        ntohs(local.sin_port) != local_port) {
      continue;
    }
    length = sizeof peer;
    if (::getpeername(fd, reinterpret_cast<sockaddr *>(&peer), &length) == 0 && ntohs(peer.sin_port) == remote_port) {
      return fd;
    }
  }
  return -1;
}

// Writes `"key": "value"` into the object `writer` is in.
void write_member(rapidjson::Writer<rapidjson::StringBuffer> &writer, const char *key, const std::string &value) {
  writer.Key(key);
  writer.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

} // namespace

std::string numbered_task_id(int number) {
  char id[40];
  std::snprintf(id, sizeof id, "%08x-0000-4000-8000-%012x", number, number);
  return id;
}

std::string encode_base64(const std::string &bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int length =
      EVP_EncodeBlock(reinterpret_cast<unsigned char *>(out.data()),
                      reinterpret_cast<const unsigned char *>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(length));
  return out;
}

std::string FakeVersion::to_json() const {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  const auto string_member = [&](const char *key, const std::string &value) { write_member(writer, key, value); };
  writer.StartObject();
  writer.Key("data");
  writer.StartObject();
  string_member("id", id);
  string_member("taskId", task_id);
  string_member("version", version);
  string_member("code", encode_base64(code));
  if (language) string_member("language", *language);
  if (description) string_member("description", *description);
  if (browser_configuration) {
    writer.Key("browserConfiguration");
    writer.RawValue(browser_configuration->data(), browser_configuration->size(), rapidjson::kObjectType);
  }
  writer.Key("deleted");
  writer.Bool(deleted);
  string_member("createdAt", created_at);
  string_member("updatedAt", updated_at);
  writer.EndObject();
  writer.EndObject();
  return buffer.GetString();
}

namespace {

// One task of a GET /v1/task page, as the API lists it: the task's fields and, with
// `with_version`, its latest version's number, code, language and browserConfiguration (the
// dates and description are the task's).
std::string list_entry(const FakeVersion &latest, const std::string &name, bool with_version) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  const auto string_member = [&](const char *key, const std::string &value) { write_member(writer, key, value); };
  writer.StartObject();
  string_member("id", latest.task_id);
  string_member("name", name);
  string_member("teamId", "7d1b6a2e-0c4f-4e8a-9b3d-5f6a7b8c9d0e");
  if (with_version) {
    string_member("latestVersion", latest.version);
    string_member("code", encode_base64(latest.code));
    if (latest.language) string_member("language", *latest.language);
  }
  string_member("description", "the task's own description");
  if (with_version && latest.browser_configuration) {
    writer.Key("browserConfiguration");
    writer.RawValue(latest.browser_configuration->data(), latest.browser_configuration->size(), rapidjson::kObjectType);
  }
  writer.Key("deleted");
  writer.Bool(latest.deleted);
  string_member("createdAt", "2026-09-01T00:00:00Z");
  string_member("updatedAt", "2026-09-02T00:00:00Z");
  writer.EndObject();
  return buffer.GetString();
}

// The task's last version recorded other than its draft (the draft when it has nothing else).
const FakeVersion &published(const std::vector<FakeVersion> &history) {
  for (auto it = history.rbegin(); it != history.rend(); ++it) {
    if (it->version != "draft") return *it;
  }
  return history.back();
}

} // namespace

FakeApi::FakeApi(std::string api_key)
    : FakeApi(std::move(api_key), std::make_unique<httplib::Server>(), "http://127.0.0.1") {}

// A host name rather than 127.0.0.1, so clients exercise DNS-name verification (make_test_pki names "localhost").
FakeApi::FakeApi(std::string api_key, const TlsIdentity &tls)
    : FakeApi(std::move(api_key), make_tls_server(tls), "https://localhost") {}

FakeApi::FakeApi(std::string api_key, std::unique_ptr<httplib::Server> server, std::string origin)
    : m_api_key(std::move(api_key)), m_server(std::move(server)), m_origin(std::move(origin)) {
  m_server->Get(R"(/v1/task/([^/]+)/latest)", [this](const httplib::Request &request, httplib::Response &response) {
    Reply reply = answer(request.matches[1], request.get_header_value("anchor-api-key"));
    wait_unless_stopping(reply.delay);
    if (reply.trickle_head.count() > 0 || reply.chunked) return send_raw(request, reply);
    response.status = reply.status;
    for (const auto &[name, value] : reply.headers)
      response.set_header(name, value);
    if (reply.trickle.count() == 0 || reply.body.empty()) {
      response.set_content(reply.body, "application/json");
      return;
    }
    // One byte per call: the client keeps receiving, so no per-read timeout ever fires, only an overall one.
    const std::size_t length = reply.body.size();
    response.set_content_provider(length, "application/json",
                                  [this, body = std::move(reply.body),
                                   gap = reply.trickle](std::size_t offset, std::size_t, httplib::DataSink &sink) {
                                    return wait_unless_stopping(gap) && sink.write(body.data() + offset, 1);
                                  });
  });
  serve_catalogue();
  // Without it Nagle's algorithm would hold back each byte until the previous one is acknowledged.
  m_server->set_tcp_nodelay(true);
  // As a real API front end keeps a connection open: cpp-httplib's default closes it after 5
  // requests, which would hide a client that does not keep its connections alive.
  m_server->set_keep_alive_max_count(1000);
  m_port = m_server->bind_to_any_port("127.0.0.1");
  if (m_port < 0) throw std::runtime_error("FakeApi: cannot bind a port on 127.0.0.1");
  m_thread = std::thread([this] { m_server->listen_after_bind(); });
  while (!m_server->is_running())
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

FakeApi::~FakeApi() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_stopped.notify_all();
  m_list_arrived.notify_all();
  m_server->stop();
  m_thread.join();
}

std::string FakeApi::base_url() const { return m_origin + ":" + std::to_string(m_port); }

void FakeApi::set_version(const FakeVersion &version) {
  add_version(version);
  set_reply(version.task_id, {200, version.to_json(), {}});
  std::lock_guard lock(m_mutex);
  m_overridden.erase(version.task_id);
}

void FakeApi::add_version(const FakeVersion &version) {
  std::lock_guard lock(m_mutex);
  auto &history = m_history[version.task_id];
  const auto same =
      std::find_if(history.begin(), history.end(), [&](const auto &v) { return v.version == version.version; });
  if (same != history.end())
    *same = version;
  else
    history.push_back(version);
}

void FakeApi::set_version_reply(const std::string &task_id, const std::string &version, Reply reply) {
  std::lock_guard lock(m_mutex);
  m_version_replies[{task_id, version}] = std::move(reply);
}

void FakeApi::set_draft(const std::string &task_id, std::optional<FakeVersion> draft) {
  std::lock_guard lock(m_mutex);
  auto &history = m_history[task_id];
  std::erase_if(history, [](const FakeVersion &v) { return v.version == "draft"; });
  if (!draft) return;
  draft->task_id = task_id;
  draft->version = "draft";
  history.push_back(std::move(*draft));
}

int FakeApi::draft_requests(const std::string &task_id) const {
  std::lock_guard lock(m_mutex);
  const auto it = m_draft_requests.find(task_id);
  return it == m_draft_requests.end() ? 0 : it->second;
}

int FakeApi::history_requests(const std::string &task_id) const {
  std::lock_guard lock(m_mutex);
  const auto it = m_history_requests.find(task_id);
  return it == m_history_requests.end() ? 0 : it->second;
}

void FakeApi::set_name(const std::string &task_id, std::string name) {
  std::lock_guard lock(m_mutex);
  m_names[task_id] = std::move(name);
}

void FakeApi::unlist(const std::string &task_id) {
  std::lock_guard lock(m_mutex);
  m_history.erase(task_id);
  m_names.erase(task_id);
}

int FakeApi::metadata_requests(const std::string &task_id) const {
  std::lock_guard lock(m_mutex);
  const auto it = m_metadata_requests.find(task_id);
  return it == m_metadata_requests.end() ? 0 : it->second;
}

bool FakeApi::key_ok(const httplib::Request &request, httplib::Response &response) {
  std::lock_guard lock(m_mutex);
  if (request.get_header_value("anchor-api-key") == m_api_key) return true;
  ++m_rejected_keys;
  response.status = 401;
  response.set_content(error_body(401, "Invalid API key"), "application/json");
  return false;
}

void FakeApi::serve_catalogue() {
  const auto not_found = [](httplib::Response &response) {
    response.status = 404;
    response.set_content(error_body(404, "Task or version not found"), "application/json");
  };
  m_server->Get(R"(/v1/task/([^/]+)/versions)", [=, this](const httplib::Request &request,
                                                          httplib::Response &response) {
    if (!key_ok(request, response)) return;
    std::lock_guard lock(m_mutex);
    ++m_history_requests[request.matches[1]];
    const auto it = m_history.find(request.matches[1]);
    if (it == m_history.end()) return not_found(response);
    std::string versions;
    for (const FakeVersion &v : it->second) {
      versions += std::string(versions.empty() ? "" : ",") + R"({"version":")" + v.version + R"(","description":"",)" +
                  R"("createdAt":")" + v.created_at + R"(","updatedAt":")" + v.updated_at + R"("})";
    }
    response.set_content(R"({"data":{"taskId":")" + it->first + R"(","versions":[)" + versions + "]}}",
                         "application/json");
  });
  m_server->Get(R"(/v1/task/([^/]+)/([^/]+))", [=, this](const httplib::Request &request, httplib::Response &response) {
    if (!key_ok(request, response)) return;
    std::lock_guard lock(m_mutex);
    if (request.matches[2] == "draft")
      ++m_draft_requests[request.matches[1]];
    else
      ++m_history_requests[request.matches[1]];
    if (request.matches[2] == "draft" && m_tasks_dir) {
      std::ifstream in(*m_tasks_dir / (std::string(request.matches[1]) + ".draft.json"), std::ios::binary);
      if (in) {
        std::ostringstream body;
        body << in.rdbuf();
        return response.set_content(body.str(), "application/json");
      }
    }
    if (const auto replaced = m_version_replies.find({request.matches[1], request.matches[2]});
        replaced != m_version_replies.end()) {
      response.status = replaced->second.status;
      return response.set_content(replaced->second.body, "application/json");
    }
    const auto it = m_history.find(request.matches[1]);
    if (it == m_history.end()) return not_found(response);
    for (const FakeVersion &v : it->second) {
      if (v.version == request.matches[2]) return response.set_content(v.to_json(), "application/json");
    }
    not_found(response);
  });
  m_server->Get(R"(/v1/task/([^/?]+))", [=, this](const httplib::Request &request, httplib::Response &response) {
    if (!key_ok(request, response)) return;
    std::lock_guard lock(m_mutex);
    const std::string id = request.matches[1];
    ++m_metadata_requests[id];
    const auto it = m_history.find(id);
    if (it == m_history.end()) return not_found(response);
    const auto name = m_names.find(id);
    response.set_content(R"({"data":{"id":")" + id + R"(","name":")" + (name == m_names.end() ? "" : name->second) +
                             R"(","deleted":)" + (published(it->second).deleted ? "true" : "false") + "}}",
                         "application/json");
  });
  m_server->Get("/v1/task", [=, this](const httplib::Request &request, httplib::Response &response) {
    if (!key_ok(request, response)) return;
    const int page = request.has_param("page") ? std::stoi(request.get_param_value("page")) : 1;
    int limit = request.has_param("limit") ? std::stoi(request.get_param_value("limit")) : 10;
    if (page < 1 || limit < 1 || limit > 100) {
      response.status = 400;
      return response.set_content(error_body(400, "Invalid page or limit"), "application/json");
    }
    std::unique_lock lock(m_mutex);
    ++m_list_requests;
    ++m_list_in_flight;
    m_most_list_in_flight = std::max(m_most_list_in_flight, m_list_in_flight);
    if (m_list_in_flight >= m_list_hold) m_list_hold = 0; // reached: the held ones go too
    m_list_arrived.notify_all();
    m_list_arrived.wait_for(lock, std::chrono::seconds(5), [this] { return m_stopping || m_list_hold == 0; });
    --m_list_in_flight;
    if (m_list_reply) {
      response.status = m_list_reply->status;
      return response.set_content(m_list_reply->body, "application/json");
    }
    if (m_most_per_page > 0) limit = std::min(limit, m_most_per_page);
    const bool emptied = m_empty_once.erase(page) > 0;
    std::string tasks;
    std::size_t index = 0;
    for (const auto &[id, history] : m_history) {
      const bool on_page = !emptied && index >= static_cast<std::size_t>((page - 1) * limit) &&
                           index < static_cast<std::size_t>(page * limit);
      ++index;
      if (!on_page) continue;
      const auto name = m_names.find(id);
      const auto listed = m_listed.find(id);
      const bool knows_latest = listed != m_listed.end() || !m_overridden.contains(id);
      tasks += std::string(tasks.empty() ? "" : ",") +
               list_entry(listed == m_listed.end() ? published(history) : listed->second,
                          name == m_names.end() ? "" : name->second, knows_latest);
    }
    response.set_content(R"({"data":{"tasks":[)" + tasks + R"(],"total":)" + std::to_string(m_history.size()) +
                             R"(,"page":")" + std::to_string(page) + R"(","limit":")" + std::to_string(limit) +
                             R"("}})",
                         "application/json");
  });
}

void FakeApi::set_listed(const std::string &task_id, std::optional<FakeVersion> listed) {
  std::lock_guard lock(m_mutex);
  if (listed)
    m_listed[task_id] = std::move(*listed);
  else
    m_listed.erase(task_id);
}

void FakeApi::set_list_reply(std::optional<Reply> reply) {
  std::lock_guard lock(m_mutex);
  m_list_reply = std::move(reply);
}

void FakeApi::serve_at_most_per_page(int tasks) {
  std::lock_guard lock(m_mutex);
  m_most_per_page = tasks;
}

void FakeApi::empty_page_once(int page) {
  std::lock_guard lock(m_mutex);
  m_empty_once.insert(page);
}

void FakeApi::hold_list_until_in_flight(int pages) {
  std::lock_guard lock(m_mutex);
  m_list_hold = pages;
  m_list_arrived.notify_all();
}

int FakeApi::most_list_requests_in_flight() const {
  std::lock_guard lock(m_mutex);
  return m_most_list_in_flight;
}

int FakeApi::list_requests() const {
  std::lock_guard lock(m_mutex);
  return m_list_requests;
}

void FakeApi::set_reply(const std::string &task_id, Reply reply) { set_replies(task_id, {std::move(reply)}); }

void FakeApi::set_replies(const std::string &task_id, std::vector<Reply> replies) {
  std::lock_guard lock(m_mutex);
  m_overridden.insert(task_id);
  if (replies.empty()) {
    m_replies.erase(task_id);
    return;
  }
  m_replies[task_id].assign(std::make_move_iterator(replies.begin()), std::make_move_iterator(replies.end()));
}

void FakeApi::set_tasks_dir(std::filesystem::path dir) {
  std::lock_guard lock(m_mutex);
  m_tasks_dir = std::move(dir);
}

int FakeApi::requests(const std::string &task_id) const {
  std::lock_guard lock(m_mutex);
  const auto it = m_requests.find(task_id);
  return it == m_requests.end() ? 0 : it->second;
}

int FakeApi::rejected_keys() const {
  std::lock_guard lock(m_mutex);
  return m_rejected_keys;
}

FakeApi::Reply FakeApi::answer(const std::string &task_id, const std::string &key) {
  std::lock_guard lock(m_mutex);
  ++m_requests[task_id];
  if (key != m_api_key) {
    ++m_rejected_keys;
    return {401, error_body(401, "Invalid API key"), {}};
  }
  if (const auto it = m_replies.find(task_id); it != m_replies.end()) {
    std::deque<Reply> &queue = it->second;
    Reply reply = queue.front();
    if (queue.size() > 1) queue.pop_front();
    return reply;
  }
  if (m_tasks_dir) {
    std::ifstream in(*m_tasks_dir / (task_id + ".json"), std::ios::binary);
    if (in) {
      std::ostringstream body;
      body << in.rdbuf();
      return {200, body.str(), {}};
    }
  }
  return {404, error_body(404, "Task or version not found"), {}};
}

bool FakeApi::wait_unless_stopping(std::chrono::milliseconds duration) {
  std::unique_lock lock(m_mutex);
  return !m_stopped.wait_for(lock, duration, [this] { return m_stopping; });
}

} // namespace tasksync::test

namespace tasksync::test {

void FakeApi::send_raw(const httplib::Request &request, const Reply &reply) {
  const int fd = connection_socket(m_port, request.remote_port);
  if (fd < 0)
    throw std::runtime_error("FakeApi: cannot find the connection from port " + std::to_string(request.remote_port));
  std::string head = "HTTP/1.1 " + std::to_string(reply.status) + (reply.status == 200 ? " OK" : " Not OK") +
                     "\r\nContent-Type: application/json\r\nConnection: close\r\n";
  for (const auto &[name, value] : reply.headers)
    head += name + ": " + value + "\r\n";
  head += reply.chunked ? "Transfer-Encoding: chunked\r\n\r\n"
                        : "Content-Length: " + std::to_string(reply.body.size()) + "\r\n\r\n";
  std::string body;
  if (!reply.chunked) body = reply.body;
  for (const char c : reply.chunked ? reply.body : std::string())
    body += std::string("1\r\n") + c + "\r\n";
  if (reply.chunked) body += "0\r\n\r\n";
  // Byte by byte where the reply says so; a client that gave up (or shutdown) ends it early.
  const auto send = [&](const std::string &bytes, std::chrono::milliseconds gap) {
    if (gap.count() == 0)
      return ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
    for (const char c : bytes) {
      if (!wait_unless_stopping(gap) || ::send(fd, &c, 1, MSG_NOSIGNAL) != 1) return false;
    }
    return true;
  };
  if (send(head, reply.trickle_head)) send(body, reply.trickle);
  // cpp-httplib writes its own response once the handler returns: it must go nowhere.
  ::shutdown(fd, SHUT_RDWR);
}

} // namespace tasksync::test
