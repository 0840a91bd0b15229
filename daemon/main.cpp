// tasksyncd: mirrors AnchorBrowser tasks into a git repository.
#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "api_client.hpp"
#include "api_key.hpp"
#include "config.hpp"
#include "log.hpp"
#include "mirror.hpp"
#include "poller.hpp"

using namespace tasksync;

namespace {

// Exit codes, as documented in README.md.
enum ExitCode { kOk = 0, kTasksFailed = 1, kBadUsage = 2, kFatal = 3 };

int exit_code(const PassReport &report) {
  if (report.api_key_rejected) return kFatal;
  return report.failures() > 0 || !report.repository_error.empty() ? kTasksFailed : kOk;
}

void print_summary(const Config &config, const std::string &key_source) {
  std::cout << "config " << config.source.string() << ": ok\n"
            << "api: " << config.api.base_url.to_string() << " (timeout " << config.api.timeout.count() << " s)\n"
            << "api key: from " << key_source << "\n"
            << "poll: every " << config.poll.interval.count() << " s\n"
            << "repo: " << config.repo.path.string() << " (branch " << config.repo.branch << ", author "
            << config.repo.author_name << " <" << config.repo.author_email << ">)\n"
            << "tasks: " << config.tasks.size() << "\n";
  for (const TaskEntry &task : config.tasks) {
    std::cout << "  " << task.id << (task.name.empty() ? "" : "  " + task.name) << "\n";
  }
}

void print_dry_run(const PassReport &report) {
  for (const TaskOutcome &outcome : report.outcomes) {
    const std::string label = outcome.task.name.empty() ? "" : " (" + outcome.task.name + ")";
    if (outcome.failed()) {
      std::cout << "failed    " << outcome.task.id << label << ": " << outcome.error << "\n";
    } else {
      std::string kind = to_string(outcome.change);
      kind.resize(10, ' ');
      std::cout << kind << outcome.task.id << label << " version " << outcome.version << "\n";
    }
  }
}

std::string pass_summary(const PassReport &report) {
  return "pass finished: " + std::to_string(report.outcomes.size()) + " tasks, " +
         std::to_string(report.commits()) + " commits, " + std::to_string(report.failures()) + " failed";
}

} // namespace

int main(int argc, char **argv) {
  // OpenSSL writes to sockets the server may have closed; a write error is handled, a signal would kill us.
  std::signal(SIGPIPE, SIG_IGN);

  CLI::App app{"tasksyncd: mirrors AnchorBrowser tasks into a git repository"};
  std::string config_path = "/etc/tasksync/config.yaml";
  std::string log_level;
  bool once = false;
  bool check_config = false;
  bool dry_run = false;
  app.add_option("--config", config_path, "Config file")->capture_default_str();
  auto *once_flag = app.add_flag("--once", once, "Run one pass over every task, then exit");
  auto *check_flag = app.add_flag("--check-config", check_config, "Validate the config, print a summary, change nothing");
  auto *dry_flag = app.add_flag("--dry-run", dry_run, "Fetch and report what would change; write nothing");
  once_flag->excludes(check_flag)->excludes(dry_flag);
  check_flag->excludes(dry_flag);
  app.add_option("--log-level", log_level, "error, warning, info or debug (overrides log.level)")
      ->check(CLI::IsMember({"error", "warning", "info", "debug"}));
  app.set_version_flag("--version", std::string("tasksyncd ") + TASKSYNC_VERSION);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &error) {
    return app.exit(error) == 0 ? kOk : kBadUsage;
  }

  log::set_journal_format(std::getenv("JOURNAL_STREAM") != nullptr);
  auto config = load_config(config_path);
  if (!config) {
    log::error(config.error().message);
    return kBadUsage;
  }
  log::set_level(log_level.empty() ? config->log_level : *parse_log_level(log_level));

  auto key = load_api_key(api_key_sources_from_environment(config->api.api_key_file));
  if (check_config) {
    if (!key) {
      print_summary(*config, "nowhere");
      log::error(key.error().message);
      return kFatal;
    }
    print_summary(*config, key->source);
    return kOk;
  }
  if (!key) {
    log::error(key.error().message);
    return kFatal;
  }
  auto api = ApiClient::create(config->api, std::move(key->value));
  if (!api) {
    log::error(config->source.string() + ": " + api.error().message);
    return kBadUsage;
  }
  const auto access = dry_run ? Mirror::Access::read_only : Mirror::Access::read_write;
  auto mirror = Mirror::open(config->repo, access);
  if (!mirror) {
    log::error(mirror.error().message);
    return kFatal;
  }

  if (dry_run || once) {
    const PassReport report = run_pass(config->tasks, *api, *mirror, dry_run ? PassMode::dry_run : PassMode::apply);
    if (dry_run) print_dry_run(report);
    log::info(pass_summary(report));
    return exit_code(report);
  }

  log::info("polling " + std::to_string(config->tasks.size()) + " tasks every " +
            std::to_string(config->poll.interval.count()) + " s into " + config->repo.path.string());
  for (;;) {
    const auto started = std::chrono::steady_clock::now();
    const PassReport report = run_pass(config->tasks, *api, *mirror, PassMode::apply);
    log::info(pass_summary(report));
    std::this_thread::sleep_until(started + config->poll.interval);
  }
}
