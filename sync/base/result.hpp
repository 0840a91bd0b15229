#pragma once

#include <string>
#include <utility>
#include <variant>

namespace tasksync {

// A failure described for a person: one line saying what went wrong and why.
struct Error {
  std::string message;
};

// Either a value or an error: expected failures travel as values (std::expected arrives in C++23).
template <typename T, typename E = Error>
class [[nodiscard]] Result {
public:
  // A successful result holding `value`.
  Result(T value) : m_data(std::in_place_index<0>, std::move(value)) {}
  // A failed result holding `error`.
  Result(E error) : m_data(std::in_place_index<1>, std::move(error)) {}

  // True when a value is held.
  bool ok() const { return m_data.index() == 0; }
  explicit operator bool() const { return ok(); }

  // The value; only valid when ok().
  T &value() & { return std::get<0>(m_data); }
  const T &value() const & { return std::get<0>(m_data); }
  T &&value() && { return std::get<0>(std::move(m_data)); }
  T &operator*() & { return value(); }
  const T &operator*() const & { return value(); }
  T *operator->() { return &value(); }
  const T *operator->() const { return &value(); }

  // The error; only valid when !ok().
  const E &error() const { return std::get<1>(m_data); }

private:
  std::variant<T, E> m_data;
};

// A result with no value: success, or an error.
template <typename E>
class [[nodiscard]] Result<void, E> {
public:
  // Success.
  Result() = default;
  // Failure holding `error`.
  Result(E error) : m_error(std::move(error)), m_failed(true) {}

  // True on success.
  bool ok() const { return !m_failed; }
  explicit operator bool() const { return ok(); }

  // The error; only valid when !ok().
  const E &error() const { return m_error; }

private:
  E m_error{};
  bool m_failed = false;
};

} // namespace tasksync
