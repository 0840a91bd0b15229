// fake-anchor-api: the tests' fake AnchorBrowser API as a program, for the demo and benchmarks.
// Serves <tasks-dir>/<taskId>.json as each task's latest version (and <taskId>.draft.json as its
// draft) and prints its base URL.
#include <CLI/CLI.hpp>

#include <csignal>
#include <iostream>

#include "fake_api.hpp"

int main(int argc, char **argv) {
  CLI::App app{"fake-anchor-api: serves task versions from a directory"};
  std::string tasks_dir;
  std::string api_key = "demo-api-key";
  app.add_option("--tasks-dir", tasks_dir, "Directory of <taskId>.json response bodies")->required();
  app.add_option("--api-key", api_key, "Key that requests must carry")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr); // the server thread inherits the mask

  tasksync::test::FakeApi api(api_key);
  api.set_tasks_dir(tasks_dir);
  std::cout << api.base_url() << std::endl;
  int received = 0;
  sigwait(&signals, &received);
  return 0;
}
