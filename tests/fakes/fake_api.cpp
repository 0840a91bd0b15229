#include "fake_api.hpp"

#include <httplib.h>
#include <openssl/evp.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <fstream>
#include <sstream>

namespace tasksync::test {
namespace {

std::string error_body(int code, const std::string &message) {
  return R"({"error":{"code":)" + std::to_string(code) + R"(,"message":")" + message + R"("}})";
}

} // namespace

std::string encode_base64(const std::string &bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int length = EVP_EncodeBlock(reinterpret_cast<unsigned char *>(out.data()),
                                     reinterpret_cast<const unsigned char *>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(length));
  return out;
}

std::string FakeVersion::to_json() const {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  auto string_member = [&](const char *key, const std::string &value) {
    writer.Key(key);
    writer.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  };
  writer.StartObject();
  writer.Key("data");
  writer.StartObject();
  string_member("id", "9b2f6c1e-4d3a-4f5b-8c7d-1e2f3a4b5c6d");
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

FakeApi::FakeApi(std::string api_key) : m_api_key(std::move(api_key)), m_server(std::make_unique<httplib::Server>()) {
  m_server->Get(R"(/v1/task/([^/]+)/latest)", [this](const httplib::Request &request, httplib::Response &response) {
    const Reply reply = answer(request.matches[1], request.get_header_value("anchor-api-key"));
    if (reply.delay.count() > 0) {
      std::unique_lock lock(m_mutex);
      m_stopped.wait_for(lock, reply.delay, [this] { return m_stopping; });
    }
    response.status = reply.status;
    response.set_content(reply.body, "application/json");
  });
  m_port = m_server->bind_to_any_port("127.0.0.1");
  m_thread = std::thread([this] { m_server->listen_after_bind(); });
  while (!m_server->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

FakeApi::~FakeApi() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_stopped.notify_all();
  m_server->stop();
  m_thread.join();
}

std::string FakeApi::base_url() const { return "http://127.0.0.1:" + std::to_string(m_port); }

void FakeApi::set_version(const FakeVersion &version) { set_reply(version.task_id, {200, version.to_json(), {}}); }

void FakeApi::set_reply(const std::string &task_id, Reply reply) {
  std::lock_guard lock(m_mutex);
  m_replies[task_id] = std::move(reply);
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
  if (const auto it = m_replies.find(task_id); it != m_replies.end()) return it->second;
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

} // namespace tasksync::test
