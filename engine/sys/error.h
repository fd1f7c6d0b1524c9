// This file implements hako's error-as-value types: Error, Result<T> and the TRY
// helper, used at every module boundary (engine and src alike).
#pragma once

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace hako {

// Exit statuses shared by the CLI: 1 for a failed operation or bad project,
// 2 for a usage error (unknown verb, flag or bad flag value).
enum class ExitCode : int { Ok = 0, Failure = 1, Usage = 2 };

struct Error {
    std::string message;
    ExitCode exit_code = ExitCode::Failure;
    int errno_value = 0;  // set for syscall errors

    Error() = default;
    explicit Error(std::string msg, ExitCode code = ExitCode::Failure)
        : message(std::move(msg)), exit_code(code) {}

    // "mount /x: Permission denied" — the call's name, the object, errno text.
    static Error from_syscall(std::string_view call, int err, std::string_view object = {}) {
        std::string msg(call);
        if (!object.empty()) {
            msg += ' ';
            msg += object;
        }
        msg += ": ";
        msg += std::strerror(err);
        Error e(std::move(msg));
        e.errno_value = err;
        return e;
    }
    static Error usage(std::string msg) { return Error(std::move(msg), ExitCode::Usage); }

    // Prefixes context: Error("x").context("loading y") → "loading y: x".
    Error context(std::string_view what) && {
        message = std::string(what) + ": " + message;
        return std::move(*this);
    }
};

template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : storage_(std::in_place_index<0>, std::move(value)) {}  // NOLINT
    Result(Error error) : storage_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

    bool ok() const { return storage_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & { return std::get<0>(storage_); }
    const T& value() const& { return std::get<0>(storage_); }
    T&& value() && { return std::get<0>(std::move(storage_)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    const Error& error() const& { return std::get<1>(storage_); }
    Error&& error() && { return std::get<1>(std::move(storage_)); }

private:
    std::variant<T, Error> storage_;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : error_(std::move(error)) {}  // NOLINT

    bool ok() const { return !error_.has_value(); }
    explicit operator bool() const { return ok(); }
    void value() const {}
    const Error& error() const& { return *error_; }
    Error&& error() && { return std::move(*error_); }

private:
    std::optional<Error> error_;
};

inline Result<void> ok() { return {}; }

}  // namespace hako

// TRY(expr): evaluates a Result; on error returns the error from the enclosing
// function, otherwise yields the value (GNU statement expression).
#define TRY(expr)                                   \
    ({                                              \
        auto _hako_try_result = (expr);             \
        if (!_hako_try_result.ok())                 \
            return std::move(_hako_try_result).error(); \
        std::move(_hako_try_result).value();        \
    })
