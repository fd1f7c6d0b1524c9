// This file declares Environment, the variables that interpolation reads:
// the OS environment over the project's .env files, with "unset" kept apart
// from "empty".
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace hako::project {

class Environment {
public:
    Environment() = default;
    explicit Environment(const std::map<std::string, std::string>& values)
        : values_(values.begin(), values.end()) {}

    std::optional<std::string> get(std::string_view name) const {
        auto it = values_.find(name);
        if (it == values_.end()) return std::nullopt;
        return it->second;
    }
    bool has(std::string_view name) const { return values_.find(name) != values_.end(); }
    void set(std::string name, std::string value) { values_[std::move(name)] = std::move(value); }
    // Sets only when not already set: the OS environment wins over .env.
    void set_default(std::string name, std::string value) { values_.try_emplace(std::move(name), std::move(value)); }
    void unset(std::string_view name) {
        auto it = values_.find(name);
        if (it != values_.end()) values_.erase(it);
    }
    const std::map<std::string, std::string, std::less<>>& values() const { return values_; }

private:
    std::map<std::string, std::string, std::less<>> values_;
};

}  // namespace hako::project
