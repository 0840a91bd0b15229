#pragma once

#include <cstddef>
#include <deque>
#include <set>

namespace tasksync {

// The last `capacity` distinct values added, for remembering what was seen without growing:
// adding one more forgets the oldest. Not thread-safe.
template <typename T> class RecentSet {
public:
  // Keeps at most `capacity` values (at least one).
  explicit RecentSet(std::size_t capacity) : m_capacity(capacity > 0 ? capacity : 1) {}

  // Adds `value`, forgetting the oldest when full; true when it was not held already (a value
  // added again keeps its first place in the order).
  bool add(const T &value) {
    if (!m_values.insert(value).second) return false;
    m_order.push_back(value);
    if (m_order.size() > m_capacity) {
      m_values.erase(m_order.front());
      m_order.pop_front();
    }
    return true;
  }

  // True when `value` is one of those held.
  bool contains(const T &value) const { return m_values.count(value) > 0; }

  // The values held, sorted.
  const std::set<T> &values() const { return m_values; }

private:
  std::size_t m_capacity;
  std::set<T> m_values;
  std::deque<T> m_order; // oldest first
};

} // namespace tasksync
