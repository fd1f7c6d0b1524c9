// This file implements apply_config_step and its helpers (see config_steps.h).
#include "engine/build/config_steps.h"

#include <csignal>
#include <cstring>

#include "engine/build/duration.h"

namespace hako::build {

namespace {

std::string upper(std::string s) {
    for (auto& c : s) c = char(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

Result<std::vector<std::string>> expand_all(const std::vector<std::string>& words, const Environment& env, char escape) {
    std::vector<std::string> out;
    for (const auto& w : words) out.push_back(TRY(expand_word(w, env, escape)));
    return out;
}

Result<std::vector<std::string>> port_specs(const std::string& word) {
    std::string ports = word, proto = "tcp";
    if (size_t slash = word.find('/'); slash != std::string::npos) {
        ports = word.substr(0, slash);
        proto = word.substr(slash + 1);
        for (auto& c : proto) c = char(std::tolower(static_cast<unsigned char>(c)));
    }
    if (proto != "tcp" && proto != "udp" && proto != "sctp") return Error("bad protocol in \"" + word + "\"");
    auto number = [&](const std::string& s) -> Result<int> {
        if (s.empty() || s.size() > 5 || s.find_first_not_of("0123456789") != std::string::npos || std::stoi(s) > 65535)
            return Error("bad port \"" + word + "\"");
        return std::stoi(s);
    };
    size_t dash = ports.find('-');
    int first = TRY(number(ports.substr(0, dash)));
    int last = dash == std::string::npos ? first : TRY(number(ports.substr(dash + 1)));
    if (last < first || last - first > 10000) return Error("bad port range \"" + word + "\"");
    std::vector<std::string> out;
    for (int p = first; p <= last; ++p) out.push_back(std::to_string(p) + "/" + proto);
    return out;
}

bool valid_signal(const std::string& s) {
    if (!s.empty() && s.find_first_not_of("0123456789") == std::string::npos) {
        int n = std::stoi(s.substr(0, 4));
        return n > 0 && n <= 64;
    }
    std::string name = upper(s);
    if (name.rfind("SIG", 0) == 0) name = name.substr(3);
    if (name.rfind("RTMIN", 0) == 0 || name.rfind("RTMAX", 0) == 0) return true;
    for (int n = 1; n < 32; ++n) {
        const char* abbrev = sigabbrev_np(n);
        if (abbrev && name == abbrev) return true;
    }
    return false;
}

}  // namespace

bool is_config_step(const std::string& k) {
    return k == "ENV" || k == "LABEL" || k == "EXPOSE" || k == "VOLUME" || k == "USER" || k == "WORKDIR" ||
           k == "CMD" || k == "ENTRYPOINT" || k == "SHELL" || k == "STOPSIGNAL" || k == "HEALTHCHECK" ||
           k == "ONBUILD" || k == "MAINTAINER";
}

std::vector<std::string> command_vector(const Instruction& in, const std::vector<std::string>& shell) {
    if (in.exec_form) return in.words;
    std::vector<std::string> out = shell.empty() ? std::vector<std::string>{"/bin/sh", "-c"} : shell;
    out.push_back(in.args);
    return out;
}

Result<std::vector<std::pair<std::string, std::string>>> expand_pairs(const Instruction& in, const Environment& env,
                                                                      char escape) {
    std::vector<std::pair<std::string, std::string>> out;
    if (in.words.empty()) return out;
    if (in.words[0].find('=') == std::string::npos) {
        // Legacy "KEY value with spaces".
        std::string key = TRY(expand_word(in.words[0], env, escape));
        std::string rest = in.args.substr(in.args.find_first_of(" \t"));
        size_t start = rest.find_first_not_of(" \t");
        std::string value = TRY(expand_word(start == std::string::npos ? "" : rest.substr(start), env, escape));
        out.emplace_back(key, value);
        return out;
    }
    for (const auto& w : in.words) {
        std::string expanded = TRY(expand_word(w, env, escape));
        size_t eq = expanded.find('=');
        if (eq == std::string::npos || eq == 0) return Error("\"" + w + "\" is not KEY=value");
        out.emplace_back(expanded.substr(0, eq), expanded.substr(eq + 1));
    }
    return out;
}

std::string join_workdir(const std::string& current, const std::string& path) {
    std::string full = !path.empty() && path[0] == '/' ? path : (current.empty() ? "/" : current) + "/" + path;
    std::vector<std::string> parts;
    size_t i = 0;
    while (i <= full.size()) {
        size_t slash = full.find('/', i);
        if (slash == std::string::npos) slash = full.size();
        std::string part = full.substr(i, slash - i);
        if (part == "..") {
            if (!parts.empty()) parts.pop_back();
        } else if (!part.empty() && part != ".") {
            parts.push_back(part);
        }
        i = slash + 1;
    }
    std::string out;
    for (const auto& p : parts) out += "/" + p;
    return out.empty() ? "/" : out;
}

Result<void> apply_config_step(const Instruction& in, image::ImageConfig& image, const Environment& env, char escape,
                               StageFlags& flags) {
    auto& c = image.config;
    const std::string& k = in.keyword;
    if (k == "ENV") {
        for (auto& [key, value] : TRY(expand_pairs(in, env, escape))) c.set_env(key, value);
    } else if (k == "LABEL") {
        for (auto& [key, value] : TRY(expand_pairs(in, env, escape))) c.labels[key] = value;
    } else if (k == "EXPOSE") {
        for (const auto& w : TRY(expand_all(in.words, env, escape))) {
            for (auto& p : TRY(port_specs(w))) c.exposed_ports.insert(p);
        }
    } else if (k == "VOLUME") {
        for (const auto& w : TRY(expand_all(in.words, env, escape))) {
            if (w.empty()) return Error("VOLUME: an empty path");
            c.volumes.insert(w);
        }
    } else if (k == "USER") {
        c.user = TRY(expand_word(in.words[0], env, escape));
    } else if (k == "WORKDIR") {
        std::string path = TRY(expand_word(in.args, env, escape));
        c.working_dir = join_workdir(c.working_dir, path);
    } else if (k == "CMD") {
        c.cmd = command_vector(in, c.shell);
        flags.cmd_set = true;
    } else if (k == "ENTRYPOINT") {
        c.entrypoint = command_vector(in, c.shell);
        if (!flags.cmd_set) c.cmd.reset();  // the base image's CMD does not survive a new ENTRYPOINT
    } else if (k == "SHELL") {
        c.shell = in.words;
    } else if (k == "STOPSIGNAL") {
        std::string signal = TRY(expand_word(in.words[0], env, escape));
        if (!valid_signal(signal)) return Error("STOPSIGNAL: unknown signal \"" + signal + "\"");
        c.stop_signal = signal;
    } else if (k == "HEALTHCHECK") {
        image::Healthcheck h;
        if (upper(in.words[0]) == "NONE") {
            h.test = {"NONE"};
        } else {
            std::string rest = in.args.substr(3);
            size_t start = rest.find_first_not_of(" \t");
            rest = start == std::string::npos ? "" : rest.substr(start);
            if (auto exec = parse_exec_form(rest)) {
                h.test = {"CMD"};
                h.test.insert(h.test.end(), exec->begin(), exec->end());
            } else {
                h.test = {"CMD-SHELL", rest};
            }
            for (const auto& f : in.flags) {
                if (f.name == "retries") h.retries = std::stoi(f.value);
                else if (f.name == "interval") h.interval_ns = TRY(parse_duration(f.value));
                else if (f.name == "timeout") h.timeout_ns = TRY(parse_duration(f.value));
                else if (f.name == "start-period") h.start_period_ns = TRY(parse_duration(f.value));
                else if (f.name == "start-interval") h.start_interval_ns = TRY(parse_duration(f.value));
            }
        }
        c.healthcheck = h;
    } else if (k == "ONBUILD") {
        c.on_build.push_back(in.onbuild->source());
    } else if (k == "MAINTAINER") {
        image.author = in.args;
    } else {
        return Error(k + " is not a config instruction");
    }
    return ok();
}

}  // namespace hako::build
