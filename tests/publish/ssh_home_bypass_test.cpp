#include "publish/ssh_home_bypass.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>

using namespace tasksync::publish_detail;

namespace {

std::optional<std::string> home() {
  const char *value = std::getenv("HOME");
  return value ? std::optional<std::string>(value) : std::nullopt;
}

// Restores the test process's HOME, whatever a test did to it.
class SshHomeBypassTest : public ::testing::Test {
protected:
  ~SshHomeBypassTest() override {
    if (m_saved) {
      ::setenv("HOME", m_saved->c_str(), 1);
    } else {
      ::unsetenv("HOME");
    }
  }
  std::optional<std::string> m_saved = home();
};

} // namespace

// libgit2 1.5.1 reads "$HOME/.ssh/known_hosts" on each ssh connection: under the bypass that path
// cannot exist, and HOME is as before once it ends.
TEST_F(SshHomeBypassTest, HomeNamesNoFileWhileItLivesAndIsRestoredAfter) {
  ::setenv("HOME", "/home/operator", 1);
  {
    const SshHomeBypass bypass(true);
    EXPECT_EQ(home(), std::optional<std::string>("/dev/null"));
  }
  EXPECT_EQ(home(), std::optional<std::string>("/home/operator"));
  ::unsetenv("HOME"); // libgit2 would fail the connection without HOME: the bypass sets one
  {
    const SshHomeBypass bypass(true);
    EXPECT_EQ(home(), std::optional<std::string>("/dev/null"));
  }
  EXPECT_EQ(home(), std::nullopt);
}

TEST_F(SshHomeBypassTest, AnInactiveBypassChangesNothing) {
  ::setenv("HOME", "/home/operator", 1);
  {
    const SshHomeBypass bypass(false);
    EXPECT_EQ(home(), std::optional<std::string>("/home/operator"));
  }
  EXPECT_EQ(home(), std::optional<std::string>("/home/operator"));
}
