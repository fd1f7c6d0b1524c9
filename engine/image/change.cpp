// This file implements apply_change and split_words (see change.h).
#include "engine/image/change.h"

#include <cctype>

#include <nlohmann/json.hpp>

namespace hako::image {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

// A JSON array of strings (exec form), or nullopt when `text` is not one.
std::optional<std::vector<std::string>> exec_form(std::string_view text) {
    if (text.empty() || text.front() != '[') return std::nullopt;
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_array()) return std::nullopt;
    std::vector<std::string> out;
    for (const auto& v : j) {
        if (!v.is_string()) return std::nullopt;
        out.push_back(v.get<std::string>());
    }
    return out;
}

std::vector<std::string> command_form(std::string_view text) {
    if (auto exec = exec_form(text)) return *exec;
    return {"/bin/sh", "-c", std::string(text)};
}

Result<std::vector<std::pair<std::string, std::string>>> key_values(std::string_view keyword,
                                                                     std::string_view args) {
    std::vector<std::pair<std::string, std::string>> out;
    std::vector<std::string> words = TRY(split_words(args));
    if (words.empty()) return Error(std::string(keyword) + " needs at least one argument");
    if (words[0].find('=') == std::string::npos) {
        // Legacy form "KEY value with spaces": the rest of the line is the value.
        std::string_view rest = trim(args);
        size_t space = rest.find_first_of(" \t");
        if (space == std::string_view::npos) {
            return Error(std::string(keyword) + " " + std::string(rest) + ": needs a value (KEY=value or KEY value)");
        }
        out.emplace_back(std::string(rest.substr(0, space)), std::string(trim(rest.substr(space))));
        return out;
    }
    for (const auto& w : words) {
        size_t eq = w.find('=');
        if (eq == std::string::npos || eq == 0) {
            return Error(std::string(keyword) + ": \"" + w + "\" is not KEY=value");
        }
        out.emplace_back(w.substr(0, eq), w.substr(eq + 1));
    }
    return out;
}

Result<std::string> port_spec(const std::string& word) {
    std::string port = word, proto = "tcp";
    if (size_t slash = word.find('/'); slash != std::string::npos) {
        port = word.substr(0, slash);
        proto = word.substr(slash + 1);
        for (auto& c : proto) c = char(std::tolower(static_cast<unsigned char>(c)));
    }
    if (proto != "tcp" && proto != "udp" && proto != "sctp") return Error("EXPOSE: bad protocol in \"" + word + "\"");
    if (port.empty() || port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5 ||
        std::stoi(port) > 65535 || std::stoi(port) == 0) {
        return Error("EXPOSE: bad port \"" + word + "\"");
    }
    return std::to_string(std::stoi(port)) + "/" + proto;
}

}  // namespace

Result<std::vector<std::string>> split_words(std::string_view text) {
    std::vector<std::string> out;
    std::string word;
    bool in_word = false;
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (std::isspace(static_cast<unsigned char>(c))) {
            if (in_word) out.push_back(std::move(word));
            word.clear();
            in_word = false;
            continue;
        }
        in_word = true;
        if (c == '\\' && i + 1 < text.size()) {
            word += text[++i];
        } else if (c == '\'' || c == '"') {
            char quote = c;
            size_t j = i + 1;
            for (; j < text.size() && text[j] != quote; ++j) {
                if (quote == '"' && text[j] == '\\' && j + 1 < text.size()) ++j;
                word += text[j];
            }
            if (j >= text.size()) return Error("unterminated quote in \"" + std::string(text) + "\"");
            i = j;
        } else {
            word += c;
        }
    }
    if (in_word) out.push_back(std::move(word));
    return out;
}

Result<void> apply_change(ContainerDefaults& config, std::string_view instruction) {
    std::string_view line = trim(instruction);
    size_t space = line.find_first_of(" \t");
    std::string keyword(line.substr(0, space));
    for (auto& c : keyword) c = char(std::toupper(static_cast<unsigned char>(c)));
    std::string_view args = space == std::string_view::npos ? std::string_view{} : trim(line.substr(space));
    auto fail = [&](const std::string& why) {
        return Error("--change \"" + std::string(line) + "\": " + why, ExitCode::Usage);
    };
    if (keyword.empty()) return fail("empty instruction");
    if (args.empty()) return fail(keyword + " needs an argument");

    if (keyword == "CMD") {
        config.cmd = command_form(args);
    } else if (keyword == "ENTRYPOINT") {
        config.entrypoint = command_form(args);
    } else if (keyword == "ENV" || keyword == "LABEL") {
        auto pairs = key_values(keyword, args);
        if (!pairs.ok()) return fail(pairs.error().message);
        for (auto& [k, v] : *pairs) {
            if (keyword == "ENV") {
                config.set_env(k, v);
            } else {
                config.labels[k] = v;
            }
        }
    } else if (keyword == "WORKDIR") {
        std::string dir(args);
        if (dir.front() != '/') {
            std::string base = config.working_dir.empty() ? "/" : config.working_dir;
            dir = (base.back() == '/' ? base : base + "/") + dir;
        }
        config.working_dir = dir;
    } else if (keyword == "USER") {
        config.user = std::string(args);
    } else if (keyword == "EXPOSE") {
        auto words = split_words(args);
        if (!words.ok()) return fail(words.error().message);
        for (const auto& w : *words) {
            auto spec = port_spec(w);
            if (!spec.ok()) return fail(spec.error().message);
            config.exposed_ports.insert(*spec);
        }
    } else if (keyword == "VOLUME") {
        auto list = exec_form(args);
        std::vector<std::string> paths;
        if (list) {
            paths = *list;
        } else {
            auto words = split_words(args);
            if (!words.ok()) return fail(words.error().message);
            paths = *words;
        }
        for (const auto& p : paths) {
            if (p.empty()) return fail("VOLUME: empty path");
            config.volumes.insert(p);
        }
    } else if (keyword == "STOPSIGNAL") {
        config.stop_signal = std::string(args);
    } else if (keyword == "ONBUILD") {
        config.on_build.emplace_back(args);
    } else {
        return fail(keyword + " is not an instruction --change accepts (CMD, ENTRYPOINT, ENV, EXPOSE, "
                              "LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR)");
    }
    return ok();
}

}  // namespace hako::image
