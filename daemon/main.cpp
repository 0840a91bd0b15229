// tasksyncd: mirrors AnchorBrowser tasks into a git repository.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <optional>

#include <malloc.h>
#include <unistd.h>

#include "base/fd_limit.hpp"
#include "base/log.hpp"
#include "config/config.hpp"
#include "core_dumps.hpp"
#include "git/ssh_signature.hpp"
#include "render/unified_diff.hpp"
#include "run/backfill.hpp"
#include "run/config_check.hpp"
#include "run/task_selection.hpp"
#include "secrets/api_key.hpp"
#include "secrets/credentials.hpp"
#include "secrets/signing_key.hpp"
#include "service/service.hpp"
#include "signals.hpp"
#include "stop_deadline.hpp"
#include "systemd_supervisor.hpp"
#include "terminal_output.hpp"

using namespace tasksync;

namespace {

// Exit codes, as documented in tasksyncd(8), EXIT STATUS.
enum ExitCode { kOk = 0, kTasksFailed = 1, kBadUsage = 2, kFatal = 3, kStopTimedOut = 4 };

// How long the rest of the daemon's stop may take once its last pass is recorded (tasksyncd(8) promises
// an exit within 5 s of SIGTERM, finishing that pass included).
constexpr std::chrono::seconds kStopBound{3};

int exit_code(const PassReport &report) {
  if (report.api_key_rejected) return kFatal;
  return report.failures() > 0 || !report.problems.empty() ? kTasksFailed : kOk;
}

// Start-up failures: a config that cannot be used is a usage error; a key or a repository that
// cannot be, fatal.
int start_exit_code(const StartError &error) { return error.kind == StartError::Kind::config ? kBadUsage : kFatal; }

void print_summary(const Config &config, const std::string &key_line, const std::vector<CheckedPart> &parts) {
  std::cout << "config " << config.source.string() << ": ok\n"
            << "api: " << config.api.base_url.to_string() << " (timeout " << config.api.timeout.count() << " s)\n"
            << "api key: " << key_line << "\n"
            << "poll: every " << config.poll.interval.count() << " s (jitter " << config.poll.jitter.count() << " s), "
            << config.poll.concurrency << " at once\n"
            << "repo: " << config.repo.path.string() << " (branch " << config.repo.branch << ", author "
            << config.repo.author_name << " <" << config.repo.author_email << ">)\n";
  for (const CheckedPart &part : parts) {
    for (const std::string &line : part.summary)
      std::cout << escape_controls(log::mask_secrets(line)) << "\n";
  }
  if (config.http.host) std::cout << "http: " << *config.http.host << ":" << config.http.port << "\n";
  for (const std::string &line : tasks_summary(config))
    std::cout << line << "\n";
}

// --check-config: the file, then what a run of it needs (key, repository, push, hooks), as the
// unit would run it: outside the unit, the credentials it would load are looked for where it loads
// them from. Changes nothing.
int check_config(const std::string &config_path) {
  auto config = load_config(config_path);
  if (!config) {
    log::error(config.error().message);
    return kBadUsage;
  }
  const CredentialSources credentials = credential_sources_for_check();
  resolve_file_credentials(*config, credentials);
  auto key = load_api_key(api_key_sources_from_environment(config->api.api_key_file, credentials));
  const std::vector<CheckedPart> parts = check_what_a_run_needs(*config, !credentials.directory);
  print_summary(*config, key ? "from " + key->source : "none: " + key.error().message, parts);
  bool usable = key.ok();
  bool config_usable = true; // a part whose problems are config errors exits 2, as a run's start would
  if (!key) log::error(key.error().message);
  for (const CheckedPart &part : parts) {
    for (const std::string &warning : part.warnings)
      log::warning(warning);
    for (const std::string &problem : part.problems) {
      log::error(problem);
      usable = false;
      config_usable = config_usable && !part.config_error;
    }
  }
  if (!config_usable) return kBadUsage;
  return usable ? kOk : kFatal;
}

// --print-allowed-signers: the line that makes git trust the commits' signatures, for a
// reviewer's gpg.ssh.allowedSignersFile. The key is looked for as --check-config looks for it.
int print_allowed_signers(const std::string &config_path) {
  auto config = load_config(config_path);
  if (!config) {
    log::error(config.error().message);
    return kBadUsage;
  }
  resolve_file_credentials(*config, credential_sources_for_check());
  const RepoSettings &repo = config->repo;
  if (!repo.signing_key_file) {
    log::error(config_path + ": repo.signing_key_file is not set (nor the credential " +
               std::string(kSigningKeyCredential) + "): commits are not signed, so no signer is allowed");
    return kBadUsage;
  }
  auto key = SigningKey::load(*repo.signing_key_file, repo.signing_key_name());
  if (!key) {
    log::error(config_path + ": " + key.error().message);
    return kBadUsage;
  }
  std::cout << allowed_signers_line(**key, repo.author_email) << "\n";
  return kOk;
}

// Names, versions and errors come from the API, and diffs from a task's code: escaped
// (unified_diff escapes its own lines) and masked, so neither a terminal escape nor a secret the
// daemon knows reaches the operator's terminal.
void print_dry_run(const PassReport &report) {
  const bool colour = tasksyncd::colour_wanted(STDOUT_FILENO);
  for (const TaskOutcome &outcome : report.outcomes) {
    const std::string label = outcome.task.name.empty() ? "" : " (" + outcome.task.name + ")";
    for (const TaskOutcome::Filled &filled : outcome.filled) {
      std::cout << escape_controls(log::mask_secrets("updated   " + outcome.task.id + label + " version " +
                                                     filled.version + " (published before version " + outcome.version +
                                                     ")"))
                << "\n";
    }
    std::string header;
    if (outcome.failed()) {
      header = "failed    " + outcome.task.id + label + ": " + outcome.error;
    } else {
      std::string kind = to_string(outcome.change);
      kind.resize(10, ' ');
      header = kind + outcome.task.id + label + " version " + outcome.version;
      if (!outcome.rollback_from.empty()) header += " (rolled back from version " + outcome.rollback_from + ")";
      if (outcome.rewritten) header += " (changed upstream without a new version number)";
      if (!outcome.unavailable.empty()) {
        header += " (unavailable:";
        for (const std::string &version : outcome.unavailable)
          header += " " + version;
        header += ")";
      }
    }
    std::cout << escape_controls(log::mask_secrets(header)) << "\n";
    if (outcome.failed()) continue;
    if (auto diff = unified_diff(outcome.changes, colour))
      std::cout << log::mask_secrets(*diff);
    else
      log::error("task " + outcome.task.id + ": " + diff.error().message);
  }
  for (const DraftChange &change : report.drafts.changes) {
    std::string kind = to_string(change.kind);
    kind.resize(14, ' ');
    std::cout << escape_controls(log::mask_secrets(kind + change.task_id + " " + change.ref)) << "\n";
    if (auto diff = unified_diff(change.changes, colour))
      std::cout << log::mask_secrets(*diff);
    else
      log::error("task " + change.task_id + ": " + diff.error().message);
  }
}

// --backfill: the history of tasks not mirrored yet, with progress on a terminal.
int import_versions(Runtime &runtime, std::stop_token stop) {
  auto tasks = resolve_tasks(runtime.config, *runtime.clients.api, stop);
  if (!tasks) {
    log::error(tasks.error().message);
    return tasks.error().is_auth_failure() ? kFatal : kTasksFailed;
  }
  const bool terminal = ::isatty(STDERR_FILENO) == 1;
  const BackfillReport report =
      backfill(*tasks, *runtime.clients.api, runtime.mirror, runtime.memory->names, stop,
               [terminal](std::size_t task, std::size_t count, const TaskEntry &entry, std::size_t version,
                          std::size_t versions) {
                 // With `tasks: all` the label is the API's name: show_progress escapes it.
                 if (terminal) {
                   log::show_progress("backfill: task " + std::to_string(task) + " of " + std::to_string(count) + " (" +
                                      entry.label() + "), version " + std::to_string(version) + " of " +
                                      std::to_string(versions));
                 }
               });
  log::end_progress();
  log::info("backfill: " + std::to_string(report.commits) + " commits for " + std::to_string(report.tasks_imported) +
            " tasks, " + std::to_string(report.failures.size()) + " failed");
  for (const std::string &id : report.failed_tasks)
    log::warning("task " + id + ": not synced by this run's pass either, so that a later --backfill imports it whole");
  hold_back(runtime.config, report.failed_tasks);
  return report.failures.empty() ? kOk : kTasksFailed;
}

} // namespace

int main(int argc, char **argv) {
  // Before anything reads a secret: a crash must not write the key to a core file.
  const std::optional<std::string> core_dumps_on = tasksyncd::disable_core_dumps();
  // One malloc arena: glibc gives each fetch worker an arena of its own that keeps what the
  // worker freed (list pages and answers are parsed there), 10 MB of RSS at 10,000 tasks. The
  // workers wait on the network far longer than on malloc's lock.
  mallopt(M_ARENA_MAX, 1);
  // OpenSSL writes to sockets the server may have closed; a write error is handled, a signal would kill us.
  std::signal(SIGPIPE, SIG_IGN);
  // First: every later thread inherits the blocked signals. Ended explicitly by the daemon's stop.
  std::optional<tasksyncd::SignalHandler> signals(std::in_place);

  CLI::App app{"tasksyncd: mirrors AnchorBrowser tasks into a git repository"};
  std::string config_path = "/etc/tasksync/config.yaml";
  std::string log_level;
  bool once = false;
  bool check = false;
  bool dry_run = false;
  bool import_history = false;
  bool print_signers = false;
  app.add_option("--config", config_path, "Config file")->capture_default_str();
  auto *once_flag = app.add_flag("--once", once, "Run one pass over every task, then exit");
  auto *check_flag = app.add_flag("--check-config", check, "Validate the config, print a summary, change nothing");
  auto *dry_flag = app.add_flag("--dry-run", dry_run, "Fetch and report what would change; write nothing");
  auto *backfill_flag = app.add_flag("--backfill", import_history,
                                     "Import every published version of tasks not mirrored yet, then run one pass");
  auto *signers_flag = app.add_flag("--print-allowed-signers", print_signers,
                                    "Print the allowed-signers line that verifies the commits' signatures, then exit");
  once_flag->excludes(check_flag)->excludes(dry_flag)->excludes(backfill_flag)->excludes(signers_flag);
  signers_flag->excludes(check_flag)->excludes(dry_flag)->excludes(backfill_flag);
  check_flag->excludes(dry_flag)->excludes(backfill_flag);
  dry_flag->excludes(backfill_flag);
  app.add_option("--log-level", log_level, "error, warning, info or debug (overrides log.level)")
      ->check(CLI::IsMember({"error", "warning", "info", "debug"}));
  app.set_version_flag("--version", std::string("tasksyncd ") + TASKSYNC_VERSION);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &error) {
    return app.exit(error) == 0 ? kOk : kBadUsage;
  }

  log::set_journal_format(tasksyncd::is_journal_stream(STDERR_FILENO, std::getenv("JOURNAL_STREAM")));
  const std::optional<LogLevel> log_override =
      log_level.empty() ? std::nullopt : std::optional<LogLevel>(parse_log_level(log_level));
  if (log_override) log::set_level(*log_override);
  if (core_dumps_on)
    log::warning("core dumps could not be turned off, so a crash may write secrets to a core file: " + *core_dumps_on);
  if (check) return check_config(config_path);
  if (print_signers) return print_allowed_signers(config_path);

  if (auto raised = raise_open_file_limit(); !raised) log::warning(raised.error().message);
  auto runtime = open_runtime(config_path, dry_run ? Mirror::Access::read_only : Mirror::Access::read_write);
  if (!runtime) {
    log::error(runtime.error().message);
    return start_exit_code(runtime.error());
  }
  log::set_level(log_override.value_or(runtime->config.log_level));

  int imported = kOk;
  if (import_history) {
    imported = import_versions(*runtime, signals->stop_token());
    if (imported == kFatal) return kFatal;
  }
  if (dry_run || once || import_history) {
    const PassReport report = run_cycle(*runtime, dry_run ? PassMode::dry_run : PassMode::apply, signals->stop_token());
    if (dry_run) print_dry_run(report);
    log::info("pass finished: " + std::to_string(report.outcomes.size()) + " tasks, " +
              std::to_string(report.commits()) + " commits, " + std::to_string(report.failures()) + " failed" +
              (report.push_failed() ? ", push failed" : ""));
    // A one-shot run has no next pass for its hooks to run beside: it ends when they have.
    runtime->memory->hooks.wait_for_started(signals->stop_token());
    return report.interrupted ? kOk : std::max(imported, exit_code(report));
  }

  tasksyncd::SystemdSupervisor supervisor;
  std::optional<Service> service(std::in_place, config_path, std::move(*runtime), supervisor, log_override);
  if (auto started = service->start_status_server(); !started) {
    log::error(config_path + ": " + started.error().message);
    return kBadUsage;
  }
  signals->on_reload([&service] { service->request_reload(); });
  signals->on_pass_request([&service] {
    const bool queued = service->request_pass();
    log::info(std::string("SIGUSR1: ") + (queued ? "a pass follows the one running" : "starting a pass"));
  });
  service->run(signals->stop_token());
  signals->on_reload({});
  signals->on_pass_request({});
  // Everything durable is done. What is left must not hold up the promised prompt exit, yet a
  // connection attempt in progress cannot be interrupted: past the bound, the stop is logged as
  // unfinished and the process exits with kStopTimedOut, never with a clean 0.
  tasksyncd::StopDeadline deadline(kStopBound, kStopTimedOut);
  deadline.step("closing the service (its status server, the repository, the API connections and fetch workers, the "
                "running hook)");
  service.reset();
  deadline.step("ending the signal thread");
  signals.reset();
  return kOk;
}
