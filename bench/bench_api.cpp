// bench-api: the tests' fake AnchorBrowser API serving N generated tasks from memory, for
// bench/run.sh. Prints its base URL on stdout; SIGUSR1 changes 1% of the tasks and SIGUSR2 one
// task (each prints "changed K" when done, so the driver knows the change is live); SIGTERM or
// SIGINT stops it.
//
// Everything is deterministic (task i is the same on every run), so runs and tools compare.
#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "fake_api.hpp"

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
const char *const kSelectors[] = {"#email", "#password", "button[type=submit]", ".price", "#results li",
                                  "[data-test=next]", "table.orders tr", "#confirm", ".toast-success", "nav a.active"};

// One helper function of a browser automation script: the bulk of a real task's code.
std::string step(Random &random, std::size_t number, const std::string &host) {
  std::string body = format("async function step%zu(page: Page, log: Logger): Promise<void> {\n", number);
  const std::size_t statements = 4 + random.below(7);
  for (std::size_t i = 0; i < statements; ++i) {
    const std::string word = random.pick(kWords);
    const std::string selector = random.pick(kSelectors);
    switch (random.below(6)) {
    case 0:
      body += format("  await page.goto(`https://%s/%s/${encodeURIComponent(ctx.%sId)}`, { waitUntil: 'networkidle' });\n",
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
      body += format("  const %s%zu = (await page.textContent('%s'))?.trim() ?? '';\n", word.c_str(), i,
                     selector.c_str());
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
  std::string text = format("// Task %zu, version %d: %s flow on %s.\n", index, version, random.pick(kWords), host.c_str());
  text += "import AnchorClient from 'anchorbrowser';\n"
          "import type { Page } from 'playwright';\n"
          "import { Logger } from './logger';\n\n"
          "const ctx: Record<string, string> = JSON.parse(process.env.TASK_CONTEXT ?? '{}');\n" +
          format("const RETRY_LIMIT = %d;\n", 2 + version) + "const started = Date.now();\n\n";
  std::size_t steps = 0;
  while (text.size() < target) text += step(random, ++steps, host);
  text += "export default async function run() {\n"
          "  const client = new AnchorClient({ apiKey: process.env.ANCHOR_API_KEY });\n"
          "  const browser = await client.browser.create();\n"
          "  const page = browser.contexts()[0].pages()[0];\n"
          "  const log = new Logger('bench');\n"
          "  for (let attempt = 1; attempt <= RETRY_LIMIT; ++attempt) {\n"
          "    try {\n";
  for (std::size_t i = 1; i <= steps; ++i) text += format("      await step%zu(page, log);\n", i);
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

FakeVersion version_of(std::size_t index, int version) {
  FakeVersion v;
  v.task_id = task_id(index);
  v.version = std::to_string(version);
  v.code = code(index, version);
  v.description = format("%s flow for shop %zu (team %zu)", kWords[index % std::size(kWords)], index % 97, index % 13);
  v.browser_configuration = browser_configuration(index);
  v.created_at = format("2026-%02zu-%02zuT08:00:00Z", 1 + index % 9, 1 + index % 28);
  v.updated_at = format("2026-10-%02dT%02d:00:00Z", 1 + version % 28, version % 24);
  return v;
}

} // namespace

int main(int argc, char **argv) {
  CLI::App app{"bench-api: serves N generated tasks for the benchmark"};
  std::size_t count = 1000;
  std::string api_key = "bench-key";
  std::string ids_file;
  app.add_option("--tasks", count, "Number of tasks")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--api-key", api_key, "Key that requests must carry")->capture_default_str();
  app.add_option("--ids-file", ids_file, "Write the task IDs here, one a line, before serving")->required();
  CLI11_PARSE(app, argc, argv);

  // Blocked before the server thread starts, which inherits the mask: only sigwait sees them.
  sigset_t signals;
  sigemptyset(&signals);
  for (const int signal : {SIGTERM, SIGINT, SIGUSR1, SIGUSR2}) sigaddset(&signals, signal);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  tasksync::test::FakeApi api(api_key);
  std::vector<int> versions(count, 1);
  {
    std::ofstream ids(ids_file);
    for (std::size_t i = 0; i < count; ++i) {
      api.set_version(version_of(i, 1));
      ids << task_id(i) << '\n';
    }
    if (!ids.flush()) {
      std::cerr << "bench-api: cannot write " << ids_file << "\n";
      return 1;
    }
  }
  std::cout << api.base_url() << std::endl;

  // Round r of SIGUSR1 changes tasks offset, offset + stride, ...: 1% of them, a different 1%
  // each round. SIGUSR2 changes one task, also a different one each round.
  const std::size_t changed_per_round = std::max<std::size_t>(1, count / 100);
  const std::size_t stride = count / changed_per_round;
  std::size_t round = 0;
  for (;;) {
    int received = 0;
    sigwait(&signals, &received);
    if (received != SIGUSR1 && received != SIGUSR2) return 0;
    std::vector<std::size_t> changed;
    if (received == SIGUSR1) {
      for (std::size_t j = 0; j < changed_per_round; ++j) changed.push_back(round % stride + j * stride);
    } else {
      changed.push_back((round * 7919 + count / 2) % count);
    }
    ++round;
    for (const std::size_t i : changed) api.set_version(version_of(i, ++versions[i]));
    std::cout << "changed " << changed.size() << std::endl;
  }
}
