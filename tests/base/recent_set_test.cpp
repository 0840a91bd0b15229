#include "base/recent_set.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace tasksync;

TEST(RecentSet, HoldsTheLastValuesAddedAndForgetsTheOldestFirst) {
  RecentSet<std::string> recent(2);
  EXPECT_TRUE(recent.add("a"));
  EXPECT_TRUE(recent.add("b"));
  EXPECT_FALSE(recent.add("a")) << "held already";
  EXPECT_TRUE(recent.add("c")); // "a" goes: it came first, and adding it again did not move it
  EXPECT_FALSE(recent.contains("a"));
  EXPECT_TRUE(recent.contains("b"));
  EXPECT_TRUE(recent.contains("c"));
  EXPECT_EQ(recent.values(), (std::set<std::string>{"b", "c"}));
}

TEST(RecentSet, ACapacityOfZeroHoldsOne) {
  RecentSet<int> recent(0);
  EXPECT_TRUE(recent.add(1));
  EXPECT_TRUE(recent.contains(1));
  EXPECT_TRUE(recent.add(2));
  EXPECT_EQ(recent.values(), (std::set<int>{2}));
}
