// The alerting rules and the Grafana dashboard shipped in monitoring/ against the metrics the
// daemon exports: a rule or a panel on a metric that does not exist would never fire or show.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "ops/metrics.hpp"
#include "process.hpp"
#include "temp_dir.hpp"

using namespace tasksync;

namespace {

const std::filesystem::path kMonitoring = std::filesystem::path(TASKSYNC_SOURCE_DIR) / "monitoring";
const std::filesystem::path kRules = kMonitoring / "prometheus" / "tasksync.rules.yml";
const std::filesystem::path kRuleTests = kMonitoring / "prometheus" / "tasksync.rules.test.yml";
const std::filesystem::path kDashboard = kMonitoring / "grafana" / "tasksync.json";

// Every series name a scrape can show: Metrics fed with each kind of event that makes a family
// appear (a push, drafts, an API notice, webhooks, the interval), with a histogram's suffixes.
std::set<std::string> exported_names() {
  Metrics metrics;
  metrics.set_interval(std::chrono::seconds(300));
  metrics.enable_webhooks();
  PassReport report;
  TaskOutcome synced;
  synced.task.id = "a";
  synced.fetch_seconds = 0.1;
  synced.commit_id = "abc";
  report.outcomes.push_back(synced);
  report.push = PushOutcome::ok;
  report.unpushed = 0;
  report.drafts.known = true;
  report.drafts.pending = 1;
  metrics.record_pass(report, 1, 1000);
  metrics.record_task_pass(report, 1001);
  metrics.record_api_notices({{"GET /v1/task", "true", std::nullopt, "Thu, 31 Dec 2026 23:59:59 GMT", 1798761599}});
  std::set<std::string> names;
  std::istringstream lines(metrics.serialize());
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string hash, type, name, kind;
    if (!(words >> hash >> type >> name >> kind) || hash != "#" || type != "TYPE") continue;
    names.insert(name);
    if (kind == "histogram") names.insert({name + "_bucket", name + "_sum", name + "_count"});
  }
  return names;
}

bool name_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; }

// The tasksync_* names `text` uses. (No std::regex: GCC 12 warns maybe-uninitialized inside
// <regex> at -O1 with ASan, and the build treats warnings as errors.)
std::set<std::string> used_names(const std::string &text) {
  std::set<std::string> names;
  for (std::size_t at = text.find("tasksync_"); at != std::string::npos; at = text.find("tasksync_", at)) {
    std::size_t end = at + 9;
    while (end < text.size() && name_char(text[end]))
      ++end;
    names.insert(text.substr(at, end - at));
    at = end;
  }
  return names;
}

// `expr` with each whole Grafana variable `variable` (e.g. "$job") replaced by `value`.
std::string substitute(std::string expr, const std::string &variable, const std::string &value) {
  for (std::size_t at = expr.find(variable); at != std::string::npos; at = expr.find(variable, at)) {
    const std::size_t end = at + variable.size();
    if (end < expr.size() && (name_char(expr[end]) || (expr[end] >= 'A' && expr[end] <= 'Z'))) {
      at = end;
      continue;
    }
    expr.replace(at, variable.size(), value);
    at += value.size();
  }
  return expr;
}

rapidjson::Document dashboard() {
  rapidjson::Document document;
  document.Parse(test::read_text(kDashboard).c_str());
  return document;
}

// Every query of every panel of `document`.
std::vector<std::string> queries(const rapidjson::Document &document) {
  std::vector<std::string> exprs;
  for (const auto &panel : document["panels"].GetArray()) {
    if (!panel.HasMember("targets")) continue;
    for (const auto &target : panel["targets"].GetArray())
      exprs.emplace_back(target["expr"].GetString());
  }
  return exprs;
}

// A panel's or a target's data source: the dashboard's variable, so one import serves any
// Prometheus.
bool uses_the_variable(const rapidjson::Value &object) {
  return object.HasMember("datasource") && object["datasource"].IsObject() && object["datasource"].HasMember("uid") &&
         std::string(object["datasource"]["uid"].GetString()) == "${datasource}";
}

} // namespace

TEST(MetricsMonitoring, RulesTheirTestsAndTheDashboardUseOnlyExportedMetrics) {
  const std::set<std::string> exported = exported_names();
  ASSERT_GE(exported.size(), 25u) << "every family appears once fed";
  for (const auto &file : {kRules, kRuleTests, kDashboard}) {
    const std::string text = test::read_text(file);
    ASSERT_FALSE(text.empty()) << file;
    const std::set<std::string> used = used_names(text);
    EXPECT_GE(used.size(), 7u) << file;
    for (const std::string &name : used) {
      EXPECT_EQ(exported.count(name), 1u) << file.filename() << " uses " << name << ", which tasksyncd does not export";
    }
  }
}

TEST(MetricsMonitoring, DashboardIsJsonOnADataSourceVariableWithAPanelForEachConcern) {
  const rapidjson::Document document = dashboard();
  ASSERT_FALSE(document.HasParseError()) << "offset " << document.GetErrorOffset();
  bool variable = false;
  for (const auto &item : document["templating"]["list"].GetArray()) {
    if (std::string(item["type"].GetString()) == "query") {
      EXPECT_TRUE(uses_the_variable(item)) << item["name"].GetString();
    }
    variable |= std::string(item["type"].GetString()) == "datasource" &&
                std::string(item["name"].GetString()) == "datasource" &&
                std::string(item["query"].GetString()) == "prometheus";
  }
  EXPECT_TRUE(variable) << "no Prometheus data source variable named datasource";
  std::set<int> ids;
  for (const auto &panel : document["panels"].GetArray()) {
    const std::string title = panel["title"].GetString();
    EXPECT_TRUE(ids.insert(panel["id"].GetInt()).second) << "panel id repeated: " << title;
    if (std::string(panel["type"].GetString()) == "row") continue;
    EXPECT_TRUE(uses_the_variable(panel)) << title;
    ASSERT_TRUE(panel.HasMember("targets") && !panel["targets"].GetArray().Empty()) << title;
    for (const auto &target : panel["targets"].GetArray()) {
      EXPECT_TRUE(uses_the_variable(target)) << title;
      EXPECT_NE(std::string(target["expr"].GetString()).find("instance=~\"$instance\""), std::string::npos) << title;
    }
  }
  std::string all;
  for (const std::string &expr : queries(document))
    all += expr + "\n";
  for (const char *concern :
       {"tasksync_cycles_total", "tasksync_task_failing", "tasksync_pushes_total", "tasksync_drafts_pending",
        "tasksync_fetches_total", "tasksync_api_endpoint_deprecated"}) {
    EXPECT_NE(all.find(concern), std::string::npos) << "no panel shows " << concern;
  }
}

// promtool parses PromQL only in rule files: each query, its Grafana variables given values,
// becomes a recording rule.
TEST(MetricsMonitoring, DashboardQueriesAreValidPromQl) {
  if (test::run_process({"sh", "-c", "command -v promtool"}).exit_code != 0) {
    GTEST_SKIP() << "promtool is not installed (Debian package prometheus; tools/install-deps installs it)";
  }
  const rapidjson::Document document = dashboard();
  ASSERT_FALSE(document.HasParseError());
  std::string rules = "groups:\n  - name: dashboard\n    rules:\n";
  int n = 0;
  for (std::string expr : queries(document)) {
    expr = substitute(substitute(substitute(expr, "$__rate_interval", "5m"), "$job", ".*"), "$instance", ".*");
    rules += "      - record: dashboard_query_" + std::to_string(++n) + "\n        expr: |\n          " + expr + "\n";
  }
  ASSERT_GE(n, 20);
  test::TempDir dir;
  test::write_text(dir / "dashboard.rules.yml", rules);
  const auto checked = test::run_process({"promtool", "check", "rules", (dir / "dashboard.rules.yml").string()});
  EXPECT_EQ(checked.exit_code, 0) << checked.out << checked.err << rules;
}
