// bench-io: runs a command and writes, to a report file, its wall time and what it wrote to
// storage, from /proc/self/io.
//
// Why this works: when a process reaps a child, the kernel adds the child's I/O counters (its
// threads' and its own reaped children's included) to the parent's. So reading our own
// /proc/self/io before the fork and after waitpid() gives exactly the child's totals, with no
// race against its exit and no ptrace. This wrapper itself writes nothing in between.
//
// write_bytes counts page-cache pages the command dirtied (4 KiB granularity), i.e. bytes bound
// for the disk; wchar counts every write() including pipes and sockets.
//
// usage: bench-io REPORT_FILE COMMAND [ARGS...]   (exits with the command's status)
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>

namespace {

std::map<std::string, long long> read_io() {
  std::map<std::string, long long> counters;
  std::ifstream in("/proc/self/io");
  std::string name;
  long long value = 0;
  while (in >> name >> value)
    counters[name.substr(0, name.size() - 1)] = value; // "write_bytes:" -> "write_bytes"
  return counters;
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench-io REPORT_FILE COMMAND [ARGS...]\n");
    return 2;
  }
  auto before = read_io();
  const auto start = std::chrono::steady_clock::now();
  const pid_t child = fork();
  if (child < 0) {
    std::perror("bench-io: fork");
    return 2;
  }
  if (child == 0) {
    execvp(argv[2], argv + 2);
    std::perror("bench-io: exec");
    _exit(127);
  }
  int status = 0;
  while (waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) {
      std::perror("bench-io: waitpid");
      return 2;
    }
  }
  const std::chrono::duration<double> wall = std::chrono::steady_clock::now() - start;
  auto after = read_io();

  std::ofstream report(argv[1]);
  report << "wall_seconds " << wall.count() << "\n";
  for (const char *name : {"write_bytes", "cancelled_write_bytes", "read_bytes", "wchar", "syscw"}) {
    report << name << " " << after[name] - before[name] << "\n";
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}
