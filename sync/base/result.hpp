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
template <typename T, typename E = Error> class [[nodiscard]] Result {
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
template <typename E> class [[nodiscard]] Result<void, E> {
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

#define TASKSYNC_TRY_CONCAT_(a, b) a##b
#define TASKSYNC_TRY_NAME_(line) TASKSYNC_TRY_CONCAT_(try_result_, line)

// Evaluates `expr` (a Result) and returns its error from the enclosing function when it failed.
#define TRY(expr)                                                                                                      \
  do {                                                                                                                 \
    if (auto &&try_result_ = (expr); !try_result_) return try_result_.error();                                         \
  } while (false)

// Declares `decl` (e.g. `auto tree`) from the value of `expr` (a Result), or returns its error
// from the enclosing function. Expands to several statements: use it where a declaration may go.
#define TRY_ASSIGN(decl, expr)                                                                                         \
  auto &&TASKSYNC_TRY_NAME_(__LINE__) = (expr);                                                                        \
  if (!TASKSYNC_TRY_NAME_(__LINE__)) return TASKSYNC_TRY_NAME_(__LINE__).error();                                      \
  decl = std::move(*TASKSYNC_TRY_NAME_(__LINE__))
