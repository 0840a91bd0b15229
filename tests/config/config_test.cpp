#include "config/config.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <future>

#include "temp_dir.hpp"

using namespace tasksync;
using namespace std::chrono_literals;

namespace {

Result<Config> parse(const std::string &text) { return parse_config(text, "config.yaml", "/etc/tasksync"); }

std::string error_of(const std::string &text) {
  auto config = parse(text);
  EXPECT_FALSE(config.ok()) << text;
  return config ? "" : config.error().message;
}

} // namespace

TEST(Config, ParsesEveryKey) {
  auto config = parse(R"(
api:
  base_url: http://127.0.0.1:8080/anchor/
  timeout_seconds: 5
  api_key_file: keys/anchor
  max_response_bytes: 4096
poll:
  interval_seconds: 60
repo:
  path: /srv/mirror
  branch: audit
  author: {name: Mirror Bot, email: bot@example.com}
log:
  level: debug
tasks:
  - 3C90C3CC-0D44-4B50-8888-8DD25736052A
  - id: 5f0e2a51-8a3b-4c1d-9e2f-0123456789ab
    name: checkout-flow
)");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->api.base_url.to_string(), "http://127.0.0.1:8080/anchor");
  EXPECT_EQ(config->api.timeout.count(), 5);
  EXPECT_EQ(*config->api.api_key_file, "/etc/tasksync/keys/anchor");
  EXPECT_EQ(config->api.max_response_bytes, 4096u);
  EXPECT_EQ(config->poll.interval.count(), 60);
  EXPECT_EQ(config->repo.path, "/srv/mirror");
  EXPECT_EQ(config->repo.branch, "audit");
  EXPECT_EQ(config->repo.author_name, "Mirror Bot");
  EXPECT_EQ(config->repo.author_email, "bot@example.com");
  EXPECT_EQ(config->log_level, LogLevel::debug);
  ASSERT_EQ(config->tasks.size(), 2u);
  EXPECT_EQ(config->tasks[0].id, "3c90c3cc-0d44-4b50-8888-8dd25736052a");
  EXPECT_EQ(config->tasks[0].label(), "3c90c3cc-0d44-4b50-8888-8dd25736052a");
  EXPECT_EQ(config->tasks[1].label(), "checkout-flow");
}

TEST(Config, AppliesDefaults) {
  auto config = parse("tasks: [3c90c3cc-0d44-4b50-8888-8dd25736052a]\n");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->api.base_url.to_string(), "https://api.anchorbrowser.io:443");
  EXPECT_EQ(config->api.timeout.count(), 30);
  EXPECT_FALSE(config->api.api_key_file);
  EXPECT_EQ(config->poll.interval.count(), 300);
  EXPECT_EQ(config->poll.concurrency, 8u);
  EXPECT_EQ(config->poll.full_check_every, 12u);
  EXPECT_EQ(config->repo.path, "/var/lib/tasksync/mirror");
  EXPECT_EQ(config->repo.branch, "main");
  EXPECT_EQ(config->repo.author_name, "tasksync");
  EXPECT_EQ(config->repo.author_email, "tasksync@localhost");
}

TEST(Config, ExampleFileIsValid) {
  auto config = load_config(TASKSYNC_SOURCE_DIR "/config.example.yaml");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->tasks.size(), 2u);
  EXPECT_EQ(config->tasks[1].name, "checkout-flow");
}

TEST(Config, UnknownKeysNameFileLineAndKey) {
  EXPECT_EQ(error_of("tasks: [3c90c3cc-0d44-4b50-8888-8dd25736052a]\npoll:\n  intervl_seconds: 5\n"),
            "config.yaml:3: poll.intervl_seconds: unknown key (expected one of: concurrency, full_check_every, "
            "interval_seconds, jitter_seconds)");
  EXPECT_NE(error_of("taks: []\n").find("config.yaml:1: taks: unknown key"), std::string::npos);
}

TEST(Config, TaskIdsMustBeUuids) {
  const std::string error = error_of("tasks:\n  - 3c90c3cc-0d44-4b50-8888-8dd25736052a\n  - ../../etc\n");
  EXPECT_NE(error.find("config.yaml:3: tasks[1]: \"../../etc\" is not a task ID"), std::string::npos) << error;
  EXPECT_NE(error_of("tasks: [3c90c3cc-0d44-4b50-8888-8dd25736052]\n").find("is not a task ID"), std::string::npos);
  EXPECT_NE(error_of("tasks: [3c90c3cc-0d44-4b50-8888-8dd25736052g]\n").find("is not a task ID"), std::string::npos);
  EXPECT_NE(error_of("tasks:\n  - id: 3c90c3cc_0d44-4b50-8888-8dd25736052a\n").find("is not a task ID"),
            std::string::npos);
}

TEST(Config, DuplicateTasksAreRefused) {
  const std::string error =
      error_of("tasks:\n  - 3c90c3cc-0d44-4b50-8888-8dd25736052a\n  - id: 3C90C3CC-0D44-4B50-8888-8DD25736052A\n");
  EXPECT_NE(
      error.find(
          "config.yaml:3: tasks[1]: duplicate task 3c90c3cc-0d44-4b50-8888-8dd25736052a (first listed on line 2)"),
      std::string::npos)
      << error;
}

TEST(Config, InlineApiKeyIsRefusedWithoutEchoingIt) {
  const std::string error = error_of("api:\n  api_key: sk-live-123\ntasks: [3c90c3cc-0d44-4b50-8888-8dd25736052a]\n");
  EXPECT_NE(error.find("config.yaml:2: api.api_key: an API key may not be written in the config file"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("ANCHORBROWSER_API_KEY"), std::string::npos);
  EXPECT_EQ(error.find("sk-live-123"), std::string::npos);
  EXPECT_NE(error_of("api_key: sk-live-123\ntasks: []\n").find("api_key: an API key may not be written"),
            std::string::npos);
}

TEST(Config, SyntaxErrorsReportTheLine) {
  const std::string error = error_of("tasks:\n  - 3c90c3cc-0d44-4b50-8888-8dd25736052a\npoll: [\n");
  EXPECT_EQ(error.rfind("config.yaml:", 0), 0u);
  EXPECT_NE(error.find("YAML syntax error"), std::string::npos) << error;
}

TEST(Config, WrongTypesAndRangesAreExplained) {
  const std::string tasks = "tasks: [3c90c3cc-0d44-4b50-8888-8dd25736052a]\n";
  EXPECT_EQ(error_of(tasks + "poll:\n  interval_seconds: soon\n"),
            "config.yaml:3: poll.interval_seconds: expected a whole number, got \"soon\"");
  EXPECT_EQ(error_of(tasks + "poll:\n  interval_seconds: 0\n"),
            "config.yaml:3: poll.interval_seconds: must be between 1 and 604800");
  EXPECT_NE(error_of(tasks + "api:\n  base_url: ftp://example.com\n").find("api.base_url: unsupported scheme"),
            std::string::npos);
  EXPECT_NE(error_of(tasks + "api:\n  base_url: https://user:pw@example.com\n").find("credentials in the URL"),
            std::string::npos);
  EXPECT_NE(error_of(tasks + "repo:\n  branch: 'bad..name'\n").find("not a valid git branch name"), std::string::npos);
  EXPECT_NE(error_of(tasks + "repo:\n  author: {email: a<b>@c}\n").find("repo.author.email"), std::string::npos);
  EXPECT_NE(error_of(tasks + "log:\n  level: loud\n").find("log.level"), std::string::npos);
  EXPECT_NE(error_of("tasks: []\n").find("tasks: the list is empty"), std::string::npos);
  EXPECT_NE(error_of("tasks: 3c90c3cc-0d44-4b50-8888-8dd25736052a\n").find("tasks: expected a list"),
            std::string::npos);
  EXPECT_NE(error_of("").find("the file is empty"), std::string::npos);
  EXPECT_NE(error_of(tasks + "api:\n  ca_file: /nonexistent/ca.pem\n").find("api.ca_file: cannot read"),
            std::string::npos);
}

TEST(Config, DuplicateKeysAreRefused) {
  EXPECT_NE(
      error_of("tasks: [3c90c3cc-0d44-4b50-8888-8dd25736052a]\npoll: {interval_seconds: 5, interval_seconds: 6}\n")
          .find("appears twice"),
      std::string::npos);
}

TEST(Config, LoadConfigResolvesRelativePathsAgainstTheFile) {
  test::TempDir dir;
  test::write_text(dir / "etc/config.yaml", "repo: {path: mirror}\ntasks: [3c90c3cc-0d44-4b50-8888-8dd25736052a]\n");
  auto config = load_config(dir / "etc/config.yaml");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->repo.path, dir / "etc/mirror");
}

TEST(Config, MissingFileIsNamed) {
  auto config = load_config("/nonexistent/tasksync.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().message,
            "/nonexistent/tasksync.yaml: cannot read the config file: No such file or directory");
}

TEST(Config, OnlyARegularFileOfAtMostOneMebibyteIsRead) {
  test::TempDir dir;
  const auto fifo = dir / "fifo.yaml";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  // A FIFO without a writer: opening it to read must not wait for one.
  auto loading = std::async(std::launch::async, [&] { return load_config(fifo); });
  if (loading.wait_for(5s) == std::future_status::timeout) {
    ADD_FAILURE() << "load_config hangs on a FIFO";
    ::close(::open(fifo.c_str(), O_WRONLY | O_NONBLOCK)); // the writer it waits for, so the test can end
  }
  auto from_fifo = loading.get();
  ASSERT_FALSE(from_fifo.ok());
  EXPECT_EQ(from_fifo.error().message,
            fifo.string() + ": cannot read the config file: it is a FIFO, not a regular file");

  auto from_directory = load_config(dir.path());
  ASSERT_FALSE(from_directory.ok());
  EXPECT_EQ(from_directory.error().message,
            dir.path().string() + ": cannot read the config file: it is a directory, not a regular file");

  auto from_device = load_config("/dev/null");
  ASSERT_FALSE(from_device.ok());
  EXPECT_EQ(from_device.error().message,
            "/dev/null: cannot read the config file: it is a character device, not a regular file");

  const std::string tasks = "tasks: [3c90c3cc-0d44-4b50-8888-8dd25736052a]\n";
  test::write_text(dir / "big.yaml", tasks + "# " + std::string(2 << 20, 'x') + "\n");
  auto from_big = load_config(dir / "big.yaml");
  ASSERT_FALSE(from_big.ok());
  EXPECT_EQ(from_big.error().message, (dir / "big.yaml").string() +
                                          ": cannot read the config file: it is larger than 1 MiB (1048576 bytes), "
                                          "too large for a config file");

  test::write_text(dir / "just.yaml", tasks + "# " + std::string((1 << 20) - tasks.size() - 3, 'x') + "\n");
  EXPECT_TRUE(load_config(dir / "just.yaml").ok()) << "exactly 1 MiB is still a config file";
}

TEST(Config, PlainHttpOnlyForALiteralLoopbackAddressOrLocalhost) {
  const std::string tasks = "tasks: [3c90c3cc-0d44-4b50-8888-8dd25736052a]\n";
  for (const std::string host : {"127.attacker.example", "127.0.0.1.nip.io", "localhost.attacker.example"}) {
    EXPECT_EQ(error_of(tasks + "api: {base_url: 'http://" + host + ":8080'}\n"),
              "config.yaml:2: api.base_url: plain http:// is only accepted for loopback addresses: \"" + host +
                  "\" is neither localhost nor a literal loopback address (127.0.0.0/8, ::1), and a name is not judged "
                  "by its spelling; the API key would cross the network in clear text (use https://, or set "
                  "api.allow_insecure_http: true)");
  }
  for (const std::string url : {"HTTP://127.0.0.1:1", "http://127.9.9.9", "http://[::1]:1", "http://LOCALHOST:1"}) {
    auto config = parse(tasks + "api: {base_url: '" + url + "'}\n");
    ASSERT_TRUE(config.ok()) << url << ": " << config.error().message;
    EXPECT_EQ(config->api.base_url.scheme, "http") << url;
  }
}

TEST(Config, CredentialsInAPushUrlAreRefusedWhateverTheSchemesCase) {
  const std::string tasks = "tasks: [3c90c3cc-0d44-4b50-8888-8dd25736052a]\n";
  for (const std::string remote : {"https://user:token@git.example.com/x.git",
                                   "HTTPS://user:token@git.example.com/x.git", "Http://token@git.example.com/x.git"}) {
    EXPECT_EQ(error_of(tasks + "repo: {push: {remote: '" + remote + "'}}\n"),
              "config.yaml:2: repo.push.remote: credentials in the URL are refused; use repo.push.token_file")
        << remote;
  }
  for (const std::string remote :
       {"ssh://git@git.example.com/x.git", "git@git.example.com:x.git", "https://git.example.com/team@2/x.git"}) {
    EXPECT_TRUE(parse(tasks + "repo: {push: {remote: '" + remote + "'}}\n").ok()) << remote;
  }
}

TEST(Config, APlainHttpPushRemoteOffLoopbackIsRefusedUnlessAllowed) {
  const std::string tasks = "tasks: [3c90c3cc-0d44-4b50-8888-8dd25736052a]\n";
  for (const std::string remote :
       {"http://git.example.com/x.git", "HTTP://10.0.0.1:8080/x.git", "http://127.0.0.1.nip.io/x"}) {
    const std::string error = error_of(tasks + "repo: {push: {remote: '" + remote + "'}}\n");
    EXPECT_EQ(error.rfind("config.yaml:2: repo.push.remote: plain http:// is only accepted for loopback addresses", 0),
              0u)
        << error;
    EXPECT_NE(error.find("repo.push.allow_insecure_http: true"), std::string::npos) << error;
    auto allowed = parse(tasks + "repo: {push: {remote: '" + remote + "', allow_insecure_http: true}}\n");
    ASSERT_TRUE(allowed.ok()) << allowed.error().message;
    EXPECT_TRUE(allowed->repo.push->allow_insecure_http);
  }
  for (const std::string remote : {"http://127.0.0.1:8080/x.git", "http://localhost/x.git", "http://[::1]:80/x",
                                   "https://git.example.com/x.git", "ssh://git@git.example.com/x.git"}) {
    EXPECT_TRUE(parse(tasks + "repo: {push: {remote: '" + remote + "'}}\n").ok()) << remote;
  }
}

TEST(Config, PushKnownHostsCaFileAndTokenUser) {
  test::TempDir dir;
  test::write_text(dir / "known_hosts", "");
  test::write_text(dir / "ca.pem", "");
  const std::string tasks = "tasks: [3c90c3cc-0d44-4b50-8888-8dd25736052a]\n";
  auto defaults = parse(tasks + "repo: {push: {remote: 'https://git.example.com/x.git'}}\n");
  ASSERT_TRUE(defaults.ok()) << defaults.error().message;
  EXPECT_EQ(defaults->repo.push->token_user, "x-access-token");
  EXPECT_FALSE(defaults->repo.push->known_hosts_file);
  EXPECT_FALSE(defaults->repo.push->ca_file);
  EXPECT_FALSE(defaults->repo.push->allow_insecure_http);

  auto config =
      parse_config(tasks + "repo:\n  push:\n    remote: https://git.example.com/x.git\n"
                           "    known_hosts_file: known_hosts\n    ca_file: ca.pem\n    token_user: gitlab-deploy\n",
                   "config.yaml", dir.path());
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(*config->repo.push->known_hosts_file, dir / "known_hosts");
  EXPECT_EQ(*config->repo.push->ca_file, dir / "ca.pem");
  EXPECT_EQ(config->repo.push->token_user, "gitlab-deploy");

  EXPECT_EQ(error_of(tasks + "repo:\n  push:\n    remote: x\n    known_hosts_file: /nonexistent/known_hosts\n"),
            "config.yaml:5: repo.push.known_hosts_file: cannot read the file /nonexistent/known_hosts: No such file or "
            "directory");
  EXPECT_EQ(error_of(tasks + "repo:\n  push:\n    remote: x\n    ca_file: /etc\n"),
            "config.yaml:5: repo.push.ca_file: cannot read the file /etc: it is a directory, not a regular file");
  EXPECT_EQ(error_of(tasks + "repo:\n  push:\n    remote: x\n    token_user: 'a:b'\n"),
            "config.yaml:5: repo.push.token_user: must not contain ':' (it ends the user name in HTTP basic "
            "authentication)");
}

TEST(Config, PushTimeoutIsAPositiveNumberOfSecondsDefaultingToSixty) {
  const std::string tasks = "tasks: [3c90c3cc-0d44-4b50-8888-8dd25736052a]\n";
  auto defaults = parse(tasks + "repo: {push: {remote: 'https://git.example.com/x.git'}}\n");
  ASSERT_TRUE(defaults.ok()) << defaults.error().message;
  EXPECT_EQ(defaults->repo.push->timeout, std::chrono::seconds(60));
  auto set = parse(tasks + "repo: {push: {remote: 'https://git.example.com/x.git', timeout_seconds: 2}}\n");
  ASSERT_TRUE(set.ok()) << set.error().message;
  EXPECT_EQ(set->repo.push->timeout, std::chrono::seconds(2));
  EXPECT_EQ(error_of(tasks + "repo:\n  push:\n    remote: x\n    timeout_seconds: 0\n"),
            "config.yaml:5: repo.push.timeout_seconds: must be between 1 and 3600");
  EXPECT_EQ(error_of(tasks + "repo:\n  push:\n    remote: x\n    timeout_seconds: soon\n"),
            "config.yaml:5: repo.push.timeout_seconds: expected a whole number, got \"soon\"");
}

TEST(Config, PollAndHttpSettings) {
  auto config =
      parse("poll: {interval_seconds: 60, jitter_seconds: 10, concurrency: 8}\nhttp: {listen: '127.0.0.1:9464'}\n"
            "tasks: [3c90c3cc-0d44-4b50-8888-8dd25736052a]\n");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->poll.jitter.count(), 10);
  EXPECT_EQ(config->poll.concurrency, 8u);
  EXPECT_EQ(config->http.host, "127.0.0.1");
  EXPECT_EQ(config->http.port, 9464);
  EXPECT_EQ(parse("http: {listen: '[::1]:80'}\ntasks: [3c90c3cc-0d44-4b50-8888-8dd25736052a]\n")->http.host, "::1");

  const std::string tasks = "tasks: [3c90c3cc-0d44-4b50-8888-8dd25736052a]\n";
  EXPECT_NE(error_of(tasks + "poll: {interval_seconds: 60, jitter_seconds: 61}\n")
                .find("poll.jitter_seconds: must be between 0 and 60"),
            std::string::npos);
  EXPECT_NE(error_of(tasks + "poll: {concurrency: 0}\n").find("poll.concurrency"), std::string::npos);
  EXPECT_NE(error_of(tasks + "http: {listen: '9464'}\n").find("http.listen: expected host:port"), std::string::npos);
  EXPECT_NE(error_of(tasks + "http: {listen: 'localhost:99999'}\n").find("http.listen port"), std::string::npos);
}

TEST(Config, UnderSystemdTheRepositoryDefaultsToTheStateDirectory) {
  test::TempDir dir;
  test::write_text(dir / "config.yaml", "tasks: [3c90c3cc-0d44-4b50-8888-8dd25736052a]\n");
  setenv("STATE_DIRECTORY", "/var/lib/tasksync", 1);
  auto config = load_config(dir / "config.yaml");
  unsetenv("STATE_DIRECTORY");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->repo.path, "/var/lib/tasksync/mirror");
}

TEST(Config, PlainHttpOnlyForLoopbackUnlessAllowed) {
  const std::string tasks = "tasks: [3c90c3cc-0d44-4b50-8888-8dd25736052a]\n";
  EXPECT_NE(error_of(tasks + "api: {base_url: 'http://api.example.com'}\n")
                .find("api.base_url: plain http:// is only accepted for loopback addresses"),
            std::string::npos);
  EXPECT_TRUE(parse(tasks + "api: {base_url: 'http://127.0.0.1:8080'}\n").ok());
  EXPECT_TRUE(parse(tasks + "api: {base_url: 'http://localhost:8080'}\n").ok());
  EXPECT_TRUE(parse(tasks + "api: {base_url: 'http://api.example.com', allow_insecure_http: true}\n").ok());
  EXPECT_NE(
      error_of(tasks + "api: {allow_insecure_http: maybe}\n").find("api.allow_insecure_http: expected true or false"),
      std::string::npos);
}

TEST(Config, Retries) {
  const std::string tasks = "tasks: [3c90c3cc-0d44-4b50-8888-8dd25736052a]\n";
  EXPECT_EQ(parse(tasks)->api.retries, 3);
  EXPECT_EQ(parse(tasks + "api: {retries: 0}\n")->api.retries, 0);
  EXPECT_NE(error_of(tasks + "api: {retries: 11}\n").find("api.retries: must be between 0 and 10"), std::string::npos);
}

TEST(Config, HooksPassEnvNamesVariablesToHandToTheHook) {
  auto config = parse("hooks:\n  on_change: [/usr/bin/notify]\n  pass_env: [HTTPS_PROXY, no_proxy, _X1]\n"
                      "tasks: [3c90c3cc-0d44-4b50-8888-8dd25736052a]\n");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->hooks.pass_env, (std::vector<std::string>{"HTTPS_PROXY", "no_proxy", "_X1"}));
  auto none = parse("hooks:\n  on_change: [/usr/bin/notify]\ntasks: [3c90c3cc-0d44-4b50-8888-8dd25736052a]\n");
  ASSERT_TRUE(none.ok()) << none.error().message;
  EXPECT_TRUE(none->hooks.pass_env.empty());
}

TEST(Config, HooksPassEnvRefusesTheDaemonsSecretsAndBadNames) {
  const auto with = [](const std::string &list) {
    return error_of("hooks:\n  pass_env: " + list + "\ntasks: [3c90c3cc-0d44-4b50-8888-8dd25736052a]\n");
  };
  EXPECT_EQ(with("[HTTPS_PROXY, ANCHORBROWSER_API_KEY]"),
            "config.yaml:2: hooks.pass_env[1]: ANCHORBROWSER_API_KEY would hand the API key to the hook; it is never "
            "passed");
  EXPECT_EQ(with("[CREDENTIALS_DIRECTORY]"),
            "config.yaml:2: hooks.pass_env[0]: CREDENTIALS_DIRECTORY would hand the API key to the hook; it is never "
            "passed");
  EXPECT_EQ(with("[TASKSYNC_COMMIT]"), "config.yaml:2: hooks.pass_env[0]: TASKSYNC_COMMIT is set by tasksyncd itself");
  EXPECT_EQ(with("[A, A]"), "config.yaml:2: hooks.pass_env[1]: A appears twice");
  for (const std::string bad : {"1X", "A=B", "A B", "\"\"", "ÄX"}) {
    EXPECT_NE(with("[" + bad + "]").find("is not an environment variable name"), std::string::npos) << bad;
  }
  EXPECT_EQ(with("HTTPS_PROXY"),
            "config.yaml:2: hooks.pass_env: expected a list of environment variable names, e.g. [HTTPS_PROXY]");
  EXPECT_EQ(with("[[A]]"), "config.yaml:2: hooks.pass_env[0]: expected a single value");
}

namespace {

// Sets ANCHORBROWSER_BASE_URL for one test.
class BaseUrlFromEnvironment {
public:
  explicit BaseUrlFromEnvironment(const char *value) { setenv("ANCHORBROWSER_BASE_URL", value, 1); }
  ~BaseUrlFromEnvironment() { unsetenv("ANCHORBROWSER_BASE_URL"); }
};

const std::string kOneTask = "tasks: [3c90c3cc-0d44-4b50-8888-8dd25736052a]\n";

} // namespace

TEST(Config, TheBaseUrlDefaultsToAnchorbrowserBaseUrlAsTheSdksReadIt) {
  const BaseUrlFromEnvironment environment("https://eu.api.example.com:443/anchor");
  auto without_api = parse(kOneTask);
  ASSERT_TRUE(without_api.ok()) << without_api.error().message;
  EXPECT_EQ(without_api->api.base_url.to_string(), "https://eu.api.example.com:443/anchor");
  auto with_api = parse("api: {timeout_seconds: 5}\n" + kOneTask);
  ASSERT_TRUE(with_api.ok()) << with_api.error().message;
  EXPECT_EQ(with_api->api.base_url.to_string(), "https://eu.api.example.com:443/anchor");
}

TEST(Config, TheFilesBaseUrlWinsOverTheEnvironment) {
  const BaseUrlFromEnvironment environment("https://eu.api.example.com");
  auto config = parse("api: {base_url: 'https://api.anchorbrowser.io'}\n" + kOneTask);
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->api.base_url.to_string(), "https://api.anchorbrowser.io:443");
}

TEST(Config, ABadBaseUrlInTheEnvironmentIsAnErrorNamingIt) {
  const BaseUrlFromEnvironment environment("ftp://example.com");
  EXPECT_NE(error_of(kOneTask).find("api.base_url: from ANCHORBROWSER_BASE_URL: "), std::string::npos)
      << error_of(kOneTask);
  const BaseUrlFromEnvironment insecure("http://api.example.com");
  EXPECT_NE(error_of(kOneTask).find("api.base_url: from ANCHORBROWSER_BASE_URL: plain http:// is only accepted"),
            std::string::npos)
      << error_of(kOneTask);
}
