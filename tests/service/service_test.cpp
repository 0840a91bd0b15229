#include "service/service.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <mutex>

#include "base/log.hpp"
#include "fake_api.hpp"
#include "process.hpp"
#include "temp_dir.hpp"

using namespace tasksync;
using namespace std::chrono_literals;

namespace {

const std::string kKey = "service-test-key";
const std::string kTaskA = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
const std::string kTaskB = "5f0e2a51-8a3b-4c1d-9e2f-0123456789ab";

// Remembers every notification, in order.
class RecordingSupervisor : public Supervisor {
public:
  void ready() override { add("READY"); }
  void status(const std::string &line) override { add("STATUS " + line); }
  void watchdog() override { add("WATCHDOG"); }
  void stopping() override { add("STOPPING"); }
  std::optional<std::chrono::microseconds> watchdog_interval() const override { return 200ms; }

  std::vector<std::string> events() const {
    std::lock_guard lock(m_mutex);
    return m_events;
  }
  // The last STATUS line (a WATCHDOG may follow it), or "" before the first.
  std::string last_status() const {
    const auto all = events();
    const auto last =
        std::find_if(all.rbegin(), all.rend(), [](const auto &event) { return event.rfind("STATUS", 0) == 0; });
    return last == all.rend() ? "" : *last;
  }
  std::size_t count(const std::string &prefix) const {
    const auto all = events();
    return static_cast<std::size_t>(
        std::count_if(all.begin(), all.end(), [&](const auto &event) { return event.rfind(prefix, 0) == 0; }));
  }

private:
  void add(std::string event) {
    std::lock_guard lock(m_mutex);
    m_events.push_back(std::move(event));
  }
  mutable std::mutex m_mutex;
  std::vector<std::string> m_events;
};

class ServiceTest : public ::testing::Test {
protected:
  ServiceTest() {
    for (const auto &id : {kTaskA, kTaskB}) {
      test::FakeVersion fake;
      fake.task_id = id;
      m_api.set_version(fake);
    }
    write_config({kTaskA});
    setenv("ANCHORBROWSER_API_KEY", kKey.c_str(), 1);
    log::set_sink([](std::string_view) {});
  }
  ~ServiceTest() override {
    unsetenv("ANCHORBROWSER_API_KEY");
    log::set_sink({});
  }

  void write_config(const std::vector<std::string> &tasks) {
    std::string yaml = "api: {base_url: '" + m_api.base_url() + "'}\npoll: {interval_seconds: 1}\nrepo: {path: '" +
                       (m_dir / "mirror").string() + "'}\ntasks:\n";
    for (const auto &id : tasks)
      yaml += "  - " + id + "\n";
    test::write_text(m_dir / "config.yaml", yaml);
  }

  std::unique_ptr<Service> service() {
    auto runtime = open_runtime(m_dir / "config.yaml", Mirror::Access::read_write);
    EXPECT_TRUE(runtime.ok()) << runtime.error().message;
    return std::make_unique<Service>(m_dir / "config.yaml", std::move(*runtime), m_supervisor, std::nullopt);
  }

  int commits() { return std::stoi("0" + test::git((m_dir / "mirror").string(), {"rev-list", "--count", "HEAD"}).out); }

  test::TempDir m_dir;
  test::FakeApi m_api{kKey};
  RecordingSupervisor m_supervisor;
};

} // namespace

TEST_F(ServiceTest, NotifiesAndReportsHealth) {
  auto daemon = service();
  EXPECT_FALSE(daemon->health().healthy) << "no pass has finished yet";
  EXPECT_NE(daemon->health().json.find("\"last_pass_age_seconds\":null"), std::string::npos);
  {
    const auto started = std::chrono::system_clock::now();
    std::jthread loop([&](std::stop_token stop) { daemon->run(stop); });
    ASSERT_TRUE(test::wait_until([&] { return m_supervisor.count("STATUS") >= 1; }, 10s));
    const HealthReport health = daemon->health();
    const auto since_start = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now() - started);
    EXPECT_TRUE(health.healthy) << health.json;
    // All but the age is fixed. The age is whole seconds since the last pass ended, which was
    // after run() started: at most the whole seconds since then, however slow this machine.
    // Not std::regex: GCC 12 warns inside <regex> under the sanitizers, and warnings are errors.
    const std::string before_age = R"({"status":"ok","reasons":[],"last_pass_age_seconds":)";
    const std::string after_age = R"(,"interval_seconds":1,"tasks":1,"failed_tasks":0,"repository_writable":true})"
                                  "\n";
    ASSERT_TRUE(health.json.starts_with(before_age) && health.json.ends_with(after_age)) << health.json;
    const std::string age =
        health.json.substr(before_age.size(), health.json.size() - before_age.size() - after_age.size());
    ASSERT_TRUE(!age.empty() && std::all_of(age.begin(), age.end(), [](unsigned char c) { return std::isdigit(c); }))
        << health.json;
    EXPECT_LE(std::stoll(age), since_start.count()) << health.json;
    ASSERT_TRUE(test::wait_until([&] { return m_supervisor.count("WATCHDOG") >= 2; }, 10s));
  }
  const auto events = m_supervisor.events();
  EXPECT_EQ(events.front(), "READY");
  EXPECT_EQ(events.back(), "STOPPING");
  const auto status =
      std::find_if(events.begin(), events.end(), [](const auto &e) { return e.rfind("STATUS", 0) == 0; });
  ASSERT_NE(status, events.end());
  EXPECT_EQ(status->rfind("STATUS 1 tasks ok, 0 failed, 1 commits; next pass at ", 0), 0u) << *status;
}

TEST_F(ServiceTest, ReloadAppliesAValidConfigAndKeepsTheOldOneOtherwise) {
  auto daemon = service();
  std::jthread loop([&](std::stop_token stop) { daemon->run(stop); });
  ASSERT_TRUE(test::wait_until([&] { return commits() == 1; }, 10s));

  test::write_text(m_dir / "config.yaml", "tasks: [broken\n");
  daemon->request_reload();
  const std::size_t passes = m_supervisor.count("STATUS");
  ASSERT_TRUE(test::wait_until([&] { return m_supervisor.count("STATUS") >= passes + 2; }, 10s));
  EXPECT_EQ(commits(), 1);
  EXPECT_NE(m_supervisor.last_status().find("1 tasks ok"), std::string::npos);

  write_config({kTaskA, kTaskB});
  daemon->request_reload();
  ASSERT_TRUE(test::wait_until([&] { return commits() == 2; }, 10s));
}

// A pass that takes longer than poll.interval_seconds is followed at once; STATUS= must not
// announce a next pass at a time already past.
TEST_F(ServiceTest, StatusNeverAnnouncesANextPassInThePast) {
  test::FakeVersion slow;
  slow.task_id = kTaskA;
  m_api.set_reply(kTaskA, {200, slow.to_json(), 1500ms}); // the interval is 1 s
  auto daemon = service();
  {
    std::jthread loop([&](std::stop_token stop) { daemon->run(stop); });
    ASSERT_TRUE(test::wait_until([&] { return m_supervisor.count("STATUS") >= 1; }, 10s));
  }
  for (const std::string &event : m_supervisor.events()) {
    if (event.rfind("STATUS", 0) != 0) continue;
    EXPECT_EQ(event.find("next pass at"), std::string::npos) << event;
    EXPECT_NE(event.find("; next pass now (this one took longer than the interval)"), std::string::npos) << event;
  }
}
