// bench-api: N generated tasks served from memory for bench/run.sh, over HTTP or, with --tls-dir,
// over HTTPS with a certificate from a CA made at start-up. It answers what tasksyncd and the
// shell baseline ask: the task list, each task's latest version, and each task's metadata; and
// each task's history, as tasksyncd reads it to fill a gap (issue 21): the list of its versions,
// 1 to the latest, and each of those versions; and each task's draft (issue 22): 404 for most
// tasks, a pending draft for 1% of them (has_draft()).
//
// Prints its base URL on stdout. SIGUSR1 changes 1% of the tasks and SIGUSR2 one task, each by
// one version; SIGALRM moves one task by 4 versions, so that it skips 3 (each prints "changed K"
// when done, so the driver knows the change is live); SIGHUP prints the requests received so far
// ("requests TOTAL list=L latest=X task=M other=O history=H draft=D"); SIGTERM or SIGINT stops it.
//
// Everything is deterministic (task i is the same on every run), so runs and tools compare.
#include <CLI/CLI.hpp>
#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <sys/socket.h>

#include <atomic>
#include <charconv>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "fake_api.hpp"
#include "test_pki.hpp"

namespace {

using tasksync::test::FakeVersion;

// splitmix64: tiny, fast, and the same everywhere, unlike std:: distributions.
class Random {
public:
  explicit Random(std::uint64_t seed) : m_state(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (m_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
  template <typename T, std::size_t K> const T &pick(const T (&items)[K]) { return items[below(K)]; }

private:
  std::uint64_t m_state;
};

std::string format(const char *pattern, auto... args) {
  char buffer[256];
  std::snprintf(buffer, sizeof buffer, pattern, args...);
  return buffer;
}

std::string task_id(std::size_t index) {
  const auto head = static_cast<unsigned>((index * 2654435761U) & 0xffffffffU); // spread, yet unique
  return format("%08x-0000-4000-8000-%012zx", head, index);
}

const char *const kWords[] = {"cart",   "checkout", "login", "search", "invoice", "profile", "orders",
                              "report", "pricing",  "stock", "review", "billing", "export",  "support"};
const char *const kSelectors[] = {"#email",         "#password",        "button[type=submit]", ".price",
                                  "#results li",    "[data-test=next]", "table.orders tr",     "#confirm",
                                  ".toast-success", "nav a.active"};

// One helper function of a browser automation script: the bulk of a real task's code.
std::string step(Random &random, std::size_t number, const std::string &host) {
  std::string body = format("async function step%zu(page: Page, log: Logger): Promise<void> {\n", number);
  const std::size_t statements = 4 + random.below(7);
  for (std::size_t i = 0; i < statements; ++i) {
    const std::string word = random.pick(kWords);
    const std::string selector = random.pick(kSelectors);
    switch (random.below(6)) {
    case 0:
      body +=
          format("  await page.goto(`https://%s/%s/${encodeURIComponent(ctx.%sId)}`, { waitUntil: 'networkidle' });\n",
                 host.c_str(), word.c_str(), word.c_str());
      break;
    case 1:
      body += format("  await page.fill('%s', process.env.BENCH_%s_VALUE ?? '%s-%zu');\n", selector.c_str(),
                     word.c_str(), word.c_str(), random.below(10000));
      break;
    case 2:
      body += format("  await page.click('%s', { timeout: %zu });\n", selector.c_str(), 1000 + 500 * random.below(20));
      break;
    case 3:
      body +=
          format("  const %s%zu = (await page.textContent('%s'))?.trim() ?? '';\n", word.c_str(), i, selector.c_str());
      body += format("  if (!%s%zu) throw new Error('step %zu: %s is empty on %s');\n", word.c_str(), i, number,
                     selector.c_str(), word.c_str());
      break;
    case 4:
      body += format("  await page.waitForSelector('%s', { state: 'visible', timeout: %zu });\n", selector.c_str(),
                     5000 + 1000 * random.below(25));
      break;
    default:
      body += format("  log.info(`step %zu: %s done in ${Date.now() - started}ms`, { attempt: %zu });\n", number,
                     word.c_str(), random.below(5));
      break;
    }
  }
  return body + "}\n\n";
}

// A realistic TypeScript task of 2-8 KiB. A new version keeps the structure and changes a few
// lines, as an edit would, so the benchmark's changed blobs look like real ones.
std::string code(std::size_t index, int version) {
  Random random(index * 0x100000001b3ULL + 17);
  const std::string host = format("shop-%zu.example.com", index % 97);
  const std::size_t target = 1536 + random.below(4700); // run() and the last step add up to ~1.5 KiB
  std::string text =
      format("// Task %zu, version %d: %s flow on %s.\n", index, version, random.pick(kWords), host.c_str());
  text += "import AnchorClient from 'anchorbrowser';\n"
          "import type { Page } from 'playwright';\n"
          "import { Logger } from './logger';\n\n"
          "const ctx: Record<string, string> = JSON.parse(process.env.TASK_CONTEXT ?? '{}');\n" +
          format("const RETRY_LIMIT = %d;\n", 2 + version) + "const started = Date.now();\n\n";
  std::size_t steps = 0;
  while (text.size() < target)
    text += step(random, ++steps, host);
  text += "export default async function run() {\n"
          "  const client = new AnchorClient({ apiKey: process.env.ANCHOR_API_KEY });\n"
          "  const browser = await client.browser.create();\n"
          "  const page = browser.contexts()[0].pages()[0];\n"
          "  const log = new Logger('bench');\n"
          "  for (let attempt = 1; attempt <= RETRY_LIMIT; ++attempt) {\n"
          "    try {\n";
  for (std::size_t i = 1; i <= steps; ++i)
    text += format("      await step%zu(page, log);\n", i);
  text += "      break;\n"
          "    } catch (error) {\n"
          "      if (attempt === RETRY_LIMIT) throw error;\n"
          "    }\n"
          "  }\n"
          "  await browser.close();\n"
          "  return { ok: true };\n"
          "}\n";
  return text;
}

// Every field a real browserConfiguration has, the proxy password included (tasksyncd redacts it).
std::string browser_configuration(std::size_t index) {
  Random random(index + 99);
  return format(R"({"initial_url":"https://shop-%zu.example.com/login","tags":["team-%zu","%s"],)", index % 97,
                index % 13, random.below(4) == 0 ? "staging" : "production") +
         format(R"("recording":{"active":%s},)", random.below(2) == 0 ? "true" : "false") +
         format(R"("proxy":{"type":"custom","server":"proxy-%zu.internal:3128","username":"bench-%zu",)", index % 5,
                index) +
         format(R"("password":"pw-%016llx","active":true},)", static_cast<unsigned long long>(random.next())) +
         format(R"("timeout":{"max_duration":%zu,"idle_timeout":%zu},)", 5 + random.below(55), 1 + random.below(9)) +
         format(R"("live_view":{"read_only":%s},"headless":true,"viewport":{"width":1440,"height":900}})",
                random.below(2) == 0 ? "true" : "false");
}

std::string created_at(std::size_t index) {
  return format("2026-%02zu-%02zuT08:00:00Z", 1 + index % 9, 1 + index % 28);
}

std::string updated_at(int version) { return format("2026-10-%02dT%02d:00:00Z", 1 + version % 28, version % 24); }

FakeVersion version_of(std::size_t index, int version) {
  FakeVersion v;
  v.task_id = task_id(index);
  v.version = std::to_string(version);
  v.code = code(index, version);
  v.description = format("%s flow for shop %zu (team %zu)", kWords[index % std::size(kWords)], index % 97, index % 13);
  v.browser_configuration = browser_configuration(index);
  v.created_at = created_at(index);
  v.updated_at = updated_at(version);
  return v;
}

// Whether task `index` has a pending draft: every hundredth task (0, 100, ...), so ceil(N/100).
bool has_draft(std::size_t index) { return index % 100 == 0; }

const char *const kDraftUpdatedAt = "2026-11-30T09:15:00Z";

// GET /v1/task/{id}/draft of a task that has one, built on its latest version `latest`: its own
// `id`, version "draft", and the latest's code with one edit, as the self-healing agent makes.
FakeVersion draft_of(std::size_t index, int latest) {
  FakeVersion draft = version_of(index, latest);
  draft.id = format("%08zx-0000-4000-a000-%012zx", index, index);
  draft.version = "draft";
  const std::string waited = "export default async function run() {\n";
  const auto at = draft.code.find(waited);
  if (at == std::string::npos) throw std::logic_error("generated code without run()");
  draft.code.insert(at + waited.size(), "  // Healed: wait for the page to settle before the first step.\n"
                                        "  await new Promise((resolve) => setTimeout(resolve, 500));\n");
  draft.updated_at = kDraftUpdatedAt;
  return draft;
}

// GET /v1/task/{id}/versions: every version from 1 to `latest`, then the draft when the task has
// one, in the shape of the tests' FakeApi.
std::string versions_of(std::size_t index, int latest) {
  std::string body = R"({"data":{"taskId":")" + task_id(index) + R"(","versions":[)";
  const auto entry = [&](const std::string &version, const std::string &updated) {
    body += R"({"version":")" + version + R"(","description":"","createdAt":")" + created_at(index) +
            R"(","updatedAt":")" + updated + R"("})";
  };
  for (int version = 1; version <= latest; ++version) {
    if (version > 1) body += ',';
    entry(std::to_string(version), updated_at(version));
  }
  if (has_draft(index)) {
    body += ',';
    entry("draft", kDraftUpdatedAt);
  }
  return body + "]}}";
}

std::string task_name(std::size_t index) {
  return format("%s flow, shop %zu", kWords[(index / 7) % std::size(kWords)], index % 97);
}

std::string team_id(std::size_t index) { return format("%08zx-0000-4000-9000-%012zx", index % 13, index % 13); }

// What the server answers about one task, built once per version.
struct Served {
  int version = 1;    // the latest version's number
  std::string latest; // GET /v1/task/{id}/latest: the version, in the tests' FakeApi format
  std::string info;   // GET /v1/task/{id}: the task's metadata, without code
  std::string listed; // the task's object in a GET /v1/task page, with code, as the real list has
  std::string draft;  // GET /v1/task/{id}/draft: the draft, or empty when the task has none (404)
};

Served serve(std::size_t index, int version) {
  const FakeVersion v = version_of(index, version);
  Served served{version, v.to_json(), {}, {}, has_draft(index) ? draft_of(index, version).to_json() : ""};
  // The list's and the metadata's timestamps are the task's: created with version 1, updated now.
  const std::string name = task_name(index);
  const auto object = [&](bool listed) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    const auto member = [&](const char *key, const std::string &value) {
      writer.Key(key);
      writer.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
    };
    writer.StartObject();
    member("id", v.task_id);
    member("name", name);
    member("teamId", team_id(index));
    member("description", *v.description);
    member(listed ? "latestVersion" : "latest", v.version);
    if (listed) {
      member("code", tasksync::test::encode_base64(v.code));
      member("language", *v.language);
      writer.Key("browserConfiguration");
      writer.RawValue(v.browser_configuration->data(), v.browser_configuration->size(), rapidjson::kObjectType);
    }
    writer.Key("deleted");
    writer.Bool(v.deleted);
    member("createdAt", v.created_at);
    member("updatedAt", v.updated_at);
    writer.EndObject();
    return std::string(buffer.GetString(), buffer.GetSize());
  };
  served.info = object(false);
  served.listed = object(true);
  return served;
}

// cpp-httplib 0.11 listens with a backlog of 5 (CPPHTTPLIB_LISTEN_BACKLOG, compiled into Debian's
// libcpp-httplib, with no setter): a client opening connections in parallel can fill it, and
// Linux then drops the SYN, which the client retries only after a second. Linux lets listen()
// on a listening socket change its backlog, so this finds the socket on `port` and calls it again.
void widen_backlog(int port) {
  for (const auto &entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    const int fd = std::atoi(entry.path().filename().c_str());
    int listening = 0;
    socklen_t length = sizeof listening;
    sockaddr_in local{};
    socklen_t local_length = sizeof local;
    if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) != 0 || listening == 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr *>(&local), &local_length) != 0 || local.sin_family != AF_INET ||
        ntohs(local.sin_port) != port) {
      continue;
    }
    if (::listen(fd, SOMAXCONN) != 0) throw std::runtime_error("cannot widen the listen backlog");
    return;
  }
  throw std::runtime_error("cannot find the listening socket on port " + std::to_string(port));
}

std::string error_body(int code, const std::string &message) {
  return R"({"error":{"code":)" + std::to_string(code) + R"(,"message":")" + message + R"("}})";
}

// A decimal string matching ^[1-9]\d*$, as the API takes a page, a limit or a version; else nullopt.
std::optional<long> positive(std::string_view text) {
  long value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text[0] == '0' || value < 1) return std::nullopt;
  return value;
}

// A query parameter as the API takes it (see positive()), `otherwise` when absent.
std::optional<long> positive(const httplib::Request &request, const char *name, long otherwise) {
  if (!request.has_param(name)) return otherwise;
  return positive(request.get_param_value(name));
}

// Requests received, by what they asked for.
struct Counts {
  std::atomic<long long> list{0};    // GET /v1/task?page=P&limit=L
  std::atomic<long long> latest{0};  // GET /v1/task/{id}/latest
  std::atomic<long long> task{0};    // GET /v1/task/{id}
  std::atomic<long long> other{0};   // anything else: a wrong key, an unknown path, task, version or method
  std::atomic<long long> history{0}; // GET /v1/task/{id}/versions and GET /v1/task/{id}/{version}
  std::atomic<long long> draft{0};   // GET /v1/task/{id}/draft of a known task, draft or 404

  // Each kind added last, so that the fields before it keep their places.
  std::string line() const {
    const long long l = list, x = latest, t = task, o = other, h = history, d = draft;
    return "requests " + std::to_string(l + x + t + o + h + d) + " list=" + std::to_string(l) +
           " latest=" + std::to_string(x) + " task=" + std::to_string(t) + " other=" + std::to_string(o) +
           " history=" + std::to_string(h) + " draft=" + std::to_string(d);
  }
};

// The tasks and the HTTP(S) server answering for them on 127.0.0.1, in threads of this process.
class BenchServer {
public:
  BenchServer(std::size_t count, std::string api_key, const std::optional<tasksync::test::TlsIdentity> &tls,
              std::size_t threads, std::size_t keep_alive_requests)
      : m_api_key(std::move(api_key)),
        m_server(tls ? std::make_unique<httplib::SSLServer>(tls->cert_file.c_str(), tls->key_file.c_str())
                     : std::make_unique<httplib::Server>()),
        m_origin(tls ? "https://localhost" : "http://127.0.0.1") {
    if (!m_server->is_valid()) throw std::runtime_error("cannot serve HTTPS with " + tls->cert_file.string());
    m_tasks.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
      m_index.emplace(task_id(i), i);
      m_tasks.push_back(serve(i, 1));
    }
    // cpp-httplib's pool has max(8, cores - 1) threads, each holding one kept-alive connection:
    // a client with more connections than that would wait for a free thread and measure the pool.
    m_server->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    // cpp-httplib closes a connection after 5 requests unless told otherwise; a real API's front
    // keeps it far longer (nginx's default is 1,000), and on a slow wire each new one costs a
    // TCP and a TLS handshake.
    m_server->set_keep_alive_max_count(keep_alive_requests);
    m_server->set_tcp_nodelay(true);
    // Every request is answered here, before cpp-httplib's routing, so each is counted once and
    // none goes through its std::regex patterns.
    m_server->set_pre_routing_handler([this](const httplib::Request &request, httplib::Response &response) {
      answer(request, response);
      return httplib::Server::HandlerResponse::Handled;
    });
    m_port = m_server->bind_to_any_port("127.0.0.1");
    if (m_port < 0) throw std::runtime_error("cannot bind a port on 127.0.0.1");
    widen_backlog(m_port);
    m_thread = std::thread([this] { m_server->listen_after_bind(); });
    while (!m_server->is_running())
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~BenchServer() {
    m_server->stop();
    m_thread.join();
  }
  BenchServer(const BenchServer &) = delete;
  BenchServer &operator=(const BenchServer &) = delete;

  std::string base_url() const { return m_origin + ":" + std::to_string(m_port); }
  const Counts &counts() const { return m_counts; }

  // Serves `version` of task `index` as its latest from now on, and every version below it.
  void set_version(std::size_t index, int version) {
    Served served = serve(index, version);
    std::unique_lock lock(m_mutex);
    m_tasks[index] = std::move(served);
  }

private:
  void answer(const httplib::Request &request, httplib::Response &response) {
    const auto refuse = [&](int status, const char *message) {
      ++m_counts.other;
      response.status = status;
      response.set_content(error_body(status, message), "application/json");
    };
    if (request.method != "GET") return refuse(405, "Method not allowed");
    if (request.get_header_value("anchor-api-key") != m_api_key) return refuse(401, "Invalid API key");
    constexpr std::string_view prefix = "/v1/task";
    const std::string_view path = request.path;
    if (path == prefix) return list(request, response);
    if (!path.starts_with(prefix) || path[prefix.size()] != '/') return refuse(404, "Not found");
    std::string_view rest = path.substr(prefix.size() + 1);
    const auto slash = rest.find('/');
    const std::string_view what = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
    const long number = what.empty() ? 0 : positive(what).value_or(0); // 0: not a version number
    if (slash != std::string_view::npos && what != "latest" && what != "versions" && what != "draft" && number == 0)
      return refuse(404, "Not found");
    const auto found = m_index.find(std::string(rest.substr(0, slash)));
    if (found == m_index.end()) return refuse(404, "Task or version not found");
    const std::size_t index = found->second;
    std::shared_lock lock(m_mutex);
    const Served &served = m_tasks[index];
    if (slash == std::string_view::npos) {
      ++m_counts.task;
      return response.set_content(R"({"data":)" + served.info + "}", "application/json");
    }
    if (what == "latest") {
      ++m_counts.latest;
      return response.set_content(served.latest, "application/json");
    }
    if (what == "draft") {
      ++m_counts.draft;
      if (!served.draft.empty()) return response.set_content(served.draft, "application/json");
      response.status = 404;
      return response.set_content(error_body(404, "Task or draft not found"), "application/json");
    }
    const int latest = served.version;
    lock.unlock();
    if (number > latest) return refuse(404, "Task or version not found");
    ++m_counts.history;
    // Built on demand: the benchmark asks for few of them, and keeping them all would cost memory.
    response.set_content(number > 0 ? version_of(index, static_cast<int>(number)).to_json()
                                    : versions_of(index, latest),
                         "application/json");
  }

  void list(const httplib::Request &request, httplib::Response &response) {
    ++m_counts.list;
    const auto page = positive(request, "page", 1);
    const auto limit = positive(request, "limit", 10);
    if (!page || !limit || *limit > 100) {
      response.status = 400;
      return response.set_content(error_body(400, "Invalid page or limit"), "application/json");
    }
    // A page past the end is empty, as the API's is; the min() keeps the product from overflowing.
    const std::size_t first =
        std::min(static_cast<std::size_t>(*page - 1), m_tasks.size()) * static_cast<std::size_t>(*limit);
    std::string body = R"({"data":{"tasks":[)";
    {
      std::shared_lock lock(m_mutex);
      for (std::size_t i = first; i < m_tasks.size() && i < first + static_cast<std::size_t>(*limit); ++i) {
        if (i > first) body += ',';
        body += m_tasks[i].listed;
      }
    }
    body += R"(],"total":)" + std::to_string(m_tasks.size()) + R"(,"page":)" + std::to_string(*page) + R"(,"limit":)" +
            std::to_string(*limit) + "}}";
    response.set_content(body, "application/json");
  }

  std::string m_api_key;
  std::unique_ptr<httplib::Server> m_server; // an httplib::SSLServer when serving HTTPS
  std::string m_origin;
  std::unordered_map<std::string, std::size_t> m_index; // task ID -> index; fixed after construction
  mutable std::shared_mutex m_mutex;                    // guards m_tasks' contents
  std::vector<Served> m_tasks;
  Counts m_counts;
  std::thread m_thread;
  int m_port = 0;
};

} // namespace

int main(int argc, char **argv) try {
  CLI::App app{"bench-api: serves N generated tasks for the benchmark"};
  std::size_t count = 1000;
  std::string api_key = "bench-key";
  std::string ids_file;
  std::string tls_dir;
  std::size_t threads = 64;
  std::size_t keep_alive_requests = 1000;
  app.add_option("--tasks", count, "Number of tasks")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--api-key", api_key, "Key that requests must carry")->capture_default_str();
  app.add_option("--ids-file", ids_file, "Write the task IDs here, one a line, before serving")->required();
  app.add_option("--tls-dir", tls_dir,
                 "Serve HTTPS: make a CA and a certificate for localhost here (DIR/ca.pem is the CA to trust)");
  app.add_option("--threads", threads, "Server threads: at most this many connections are served at once")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--keep-alive-requests", keep_alive_requests, "Requests served on a connection before closing it")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);

  // Blocked before the server threads start, which inherit the mask: only sigwait sees them.
  sigset_t signals;
  sigemptyset(&signals);
  for (const int signal : {SIGTERM, SIGINT, SIGUSR1, SIGUSR2, SIGALRM, SIGHUP})
    sigaddset(&signals, signal);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::optional<tasksync::test::TlsIdentity> tls;
  if (!tls_dir.empty()) {
    std::filesystem::create_directories(tls_dir);
    tls = tasksync::test::make_test_pki(tls_dir).server;
  }
  {
    std::ofstream ids(ids_file);
    for (std::size_t i = 0; i < count; ++i)
      ids << task_id(i) << '\n';
    if (!ids.flush()) {
      std::cerr << "bench-api: cannot write " << ids_file << "\n";
      return 1;
    }
  }
  BenchServer server(count, api_key, tls, threads, keep_alive_requests);
  std::vector<int> versions(count, 1);
  std::cout << server.base_url() << std::endl;

  // Round r of SIGUSR1 changes tasks offset, offset + stride, ...: 1% of them, a different 1%
  // each round. SIGUSR2 changes one task, also a different one each round; SIGALRM too, but moves
  // it by kSkipped + 1 versions.
  constexpr int kSkipped = 3;
  const std::size_t changed_per_round = std::max<std::size_t>(1, count / 100);
  const std::size_t stride = count / changed_per_round;
  std::size_t round = 0;
  for (;;) {
    int received = 0;
    sigwait(&signals, &received);
    if (received == SIGHUP) {
      std::cout << server.counts().line() << std::endl;
      continue;
    }
    if (received != SIGUSR1 && received != SIGUSR2 && received != SIGALRM) return 0;
    std::vector<std::size_t> changed;
    if (received == SIGUSR1) {
      for (std::size_t j = 0; j < changed_per_round; ++j)
        changed.push_back(round % stride + j * stride);
    } else {
      changed.push_back((round * 7919 + count / 2) % count);
    }
    ++round;
    const int step = received == SIGALRM ? kSkipped + 1 : 1;
    for (const std::size_t i : changed)
      server.set_version(i, versions[i] += step);
    std::cout << "changed " << changed.size() << std::endl;
  }
} catch (const std::exception &error) { // no PKI, no port, no memory: said once, not by std::terminate
  std::cerr << "bench-api: " << error.what() << "\n";
  return 1;
}
