#include "process.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>

#include "temp_dir.hpp"

extern char **environ;

namespace tasksync::test {

ProcessResult run_process(const std::vector<std::string> &argv,
                          const std::map<std::string, std::optional<std::string>> &env) {
  std::map<std::string, std::string> merged;
  for (char **entry = environ; *entry; ++entry) {
    const std::string text = *entry;
    const auto equals = text.find('=');
    if (equals != std::string::npos) merged[text.substr(0, equals)] = text.substr(equals + 1);
  }
  for (const auto &[name, value] : env) {
    if (value) merged[name] = *value;
    else merged.erase(name);
  }
  std::vector<std::string> env_strings;
  for (const auto &[name, value] : merged) env_strings.push_back(name + "=" + value);
  std::vector<char *> envp;
  for (auto &text : env_strings) envp.push_back(text.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char *> argvp;
  for (auto &arg : args) argvp.push_back(arg.data());
  argvp.push_back(nullptr);

  TempDir output;
  const std::string out_file = (output / "stdout").string();
  const std::string err_file = (output / "stderr").string();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, argvp[0], &actions, nullptr, argvp.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + argv[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
  }
  ProcessResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = read_text(out_file);
  result.err = read_text(err_file);
  return result;
}

ProcessResult git(const std::string &repo, const std::vector<std::string> &args) {
  std::vector<std::string> argv = {"git", "-C", repo};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv);
}

} // namespace tasksync::test
