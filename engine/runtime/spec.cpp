// This file implements the mapping between OCI runtime-spec config.json and the
// Spec structures; fields hako does not use are ignored, empty ones are omitted.
#include "engine/runtime/spec.h"

#include <nlohmann/json.hpp>

#include "engine/sys/file.h"

namespace hako::runtime {
namespace {

using Json = nlohmann::json;

template <typename T>
void get_opt(const Json& j, const char* key, std::optional<T>& out) {
    if (auto it = j.find(key); it != j.end() && !it->is_null()) out = it->get<T>();
}
template <typename T>
void get_to(const Json& j, const char* key, T& out) {
    if (auto it = j.find(key); it != j.end() && !it->is_null()) out = it->get<T>();
}
template <typename T>
void put_opt(Json& j, const char* key, const std::optional<T>& v) {
    if (v) j[key] = *v;
}
template <typename T>
void put_nonempty(Json& j, const char* key, const T& v) {
    if (!v.empty()) j[key] = v;
}

Process parse_process(const Json& j) {
    Process p;
    get_to(j, "terminal", p.terminal);
    if (auto u = j.find("user"); u != j.end()) {
        get_to(*u, "uid", p.user.uid);
        get_to(*u, "gid", p.user.gid);
        get_to(*u, "additionalGids", p.user.additional_gids);
        get_opt(*u, "umask", p.user.umask);
    }
    get_to(j, "args", p.args);
    get_to(j, "env", p.env);
    get_to(j, "cwd", p.cwd);
    if (auto c = j.find("capabilities"); c != j.end()) {
        get_to(*c, "bounding", p.capabilities.bounding);
        get_to(*c, "effective", p.capabilities.effective);
        get_to(*c, "inheritable", p.capabilities.inheritable);
        get_to(*c, "permitted", p.capabilities.permitted);
        get_to(*c, "ambient", p.capabilities.ambient);
    }
    if (auto r = j.find("rlimits"); r != j.end())
        for (const auto& e : *r)
            p.rlimits.push_back({e.at("type").get<std::string>(), e.at("hard").get<uint64_t>(),
                                 e.at("soft").get<uint64_t>()});
    get_to(j, "noNewPrivileges", p.no_new_privileges);
    return p;
}

Json process_json(const Process& p) {
    Json j;
    j["terminal"] = p.terminal;
    j["user"] = {{"uid", p.user.uid}, {"gid", p.user.gid}};
    put_nonempty(j["user"], "additionalGids", p.user.additional_gids);
    put_opt(j["user"], "umask", p.user.umask);
    j["args"] = p.args;
    j["env"] = p.env;
    j["cwd"] = p.cwd;
    Json caps = Json::object();
    put_nonempty(caps, "bounding", p.capabilities.bounding);
    put_nonempty(caps, "effective", p.capabilities.effective);
    put_nonempty(caps, "inheritable", p.capabilities.inheritable);
    put_nonempty(caps, "permitted", p.capabilities.permitted);
    put_nonempty(caps, "ambient", p.capabilities.ambient);
    j["capabilities"] = caps;
    if (!p.rlimits.empty()) {
        j["rlimits"] = Json::array();
        for (const auto& r : p.rlimits)
            j["rlimits"].push_back({{"type", r.type}, {"hard", r.hard}, {"soft", r.soft}});
    }
    j["noNewPrivileges"] = p.no_new_privileges;
    return j;
}

Resources parse_resources(const Json& j) {
    Resources r;
    if (auto d = j.find("devices"); d != j.end())
        for (const auto& e : *d) {
            DeviceRule rule;
            get_to(e, "allow", rule.allow);
            get_to(e, "type", rule.type);
            get_opt(e, "major", rule.major);
            get_opt(e, "minor", rule.minor);
            get_to(e, "access", rule.access);
            r.devices.push_back(rule);
        }
    if (auto m = j.find("memory"); m != j.end()) {
        get_opt(*m, "limit", r.memory_limit);
        get_opt(*m, "swap", r.memory_swap);
        get_opt(*m, "reservation", r.memory_reservation);
    }
    if (auto c = j.find("cpu"); c != j.end()) {
        get_opt(*c, "quota", r.cpu_quota);
        get_opt(*c, "period", r.cpu_period);
        get_opt(*c, "shares", r.cpu_shares);
        get_opt(*c, "cpus", r.cpuset_cpus);
    }
    if (auto p = j.find("pids"); p != j.end()) get_opt(*p, "limit", r.pids_limit);
    return r;
}

Json resources_json(const Resources& r) {
    Json j = Json::object();
    if (!r.devices.empty()) {
        j["devices"] = Json::array();
        for (const auto& d : r.devices) {
            Json e = {{"allow", d.allow}, {"access", d.access}};
            if (!d.type.empty()) e["type"] = d.type;
            put_opt(e, "major", d.major);
            put_opt(e, "minor", d.minor);
            j["devices"].push_back(e);
        }
    }
    Json memory = Json::object();
    put_opt(memory, "limit", r.memory_limit);
    put_opt(memory, "swap", r.memory_swap);
    put_opt(memory, "reservation", r.memory_reservation);
    if (!memory.empty()) j["memory"] = memory;
    Json cpu = Json::object();
    put_opt(cpu, "quota", r.cpu_quota);
    put_opt(cpu, "period", r.cpu_period);
    put_opt(cpu, "shares", r.cpu_shares);
    put_opt(cpu, "cpus", r.cpuset_cpus);
    if (!cpu.empty()) j["cpu"] = cpu;
    if (r.pids_limit) j["pids"] = {{"limit", *r.pids_limit}};
    return j;
}

Seccomp parse_seccomp(const Json& j) {
    Seccomp s;
    get_to(j, "defaultAction", s.default_action);
    get_opt(j, "defaultErrnoRet", s.default_errno_ret);
    get_to(j, "architectures", s.architectures);
    if (auto sc = j.find("syscalls"); sc != j.end())
        for (const auto& e : *sc) {
            SeccompRule rule;
            get_to(e, "names", rule.names);
            get_to(e, "action", rule.action);
            get_opt(e, "errnoRet", rule.errno_ret);
            if (auto a = e.find("args"); a != e.end())
                for (const auto& arg : *a) {
                    SeccompArg sa;
                    get_to(arg, "index", sa.index);
                    get_to(arg, "value", sa.value);
                    get_to(arg, "valueTwo", sa.value_two);
                    get_to(arg, "op", sa.op);
                    rule.args.push_back(sa);
                }
            s.syscalls.push_back(std::move(rule));
        }
    return s;
}

Json seccomp_json(const Seccomp& s) {
    Json j = {{"defaultAction", s.default_action}};
    put_opt(j, "defaultErrnoRet", s.default_errno_ret);
    put_nonempty(j, "architectures", s.architectures);
    j["syscalls"] = Json::array();
    for (const auto& rule : s.syscalls) {
        Json e = {{"names", rule.names}, {"action", rule.action}};
        put_opt(e, "errnoRet", rule.errno_ret);
        if (!rule.args.empty()) {
            e["args"] = Json::array();
            for (const auto& a : rule.args)
                e["args"].push_back(
                    {{"index", a.index}, {"value", a.value}, {"valueTwo", a.value_two}, {"op", a.op}});
        }
        j["syscalls"].push_back(e);
    }
    return j;
}

Linux parse_linux(const Json& j) {
    Linux l;
    if (auto n = j.find("namespaces"); n != j.end())
        for (const auto& e : *n) {
            Namespace ns;
            get_to(e, "type", ns.type);
            get_to(e, "path", ns.path);
            l.namespaces.push_back(ns);
        }
    if (auto d = j.find("devices"); d != j.end())
        for (const auto& e : *d) {
            Device dev;
            get_to(e, "path", dev.path);
            get_to(e, "type", dev.type);
            get_to(e, "major", dev.major);
            get_to(e, "minor", dev.minor);
            get_opt(e, "fileMode", dev.file_mode);
            get_opt(e, "uid", dev.uid);
            get_opt(e, "gid", dev.gid);
            l.devices.push_back(dev);
        }
    get_to(j, "cgroupsPath", l.cgroups_path);
    if (auto r = j.find("resources"); r != j.end()) l.resources = parse_resources(*r);
    if (auto s = j.find("seccomp"); s != j.end() && !s->is_null()) l.seccomp = parse_seccomp(*s);
    get_to(j, "sysctl", l.sysctl);
    get_to(j, "maskedPaths", l.masked_paths);
    get_to(j, "readonlyPaths", l.readonly_paths);
    get_to(j, "rootfsPropagation", l.rootfs_propagation);
    return l;
}

Json linux_json(const Linux& l) {
    Json j = Json::object();
    j["namespaces"] = Json::array();
    for (const auto& ns : l.namespaces) {
        Json e = {{"type", ns.type}};
        if (!ns.path.empty()) e["path"] = ns.path;
        j["namespaces"].push_back(e);
    }
    if (!l.devices.empty()) {
        j["devices"] = Json::array();
        for (const auto& d : l.devices) {
            Json e = {{"path", d.path}, {"type", d.type}, {"major", d.major}, {"minor", d.minor}};
            put_opt(e, "fileMode", d.file_mode);
            put_opt(e, "uid", d.uid);
            put_opt(e, "gid", d.gid);
            j["devices"].push_back(e);
        }
    }
    if (!l.cgroups_path.empty()) j["cgroupsPath"] = l.cgroups_path;
    j["resources"] = resources_json(l.resources);
    if (l.seccomp) j["seccomp"] = seccomp_json(*l.seccomp);
    put_nonempty(j, "sysctl", l.sysctl);
    put_nonempty(j, "maskedPaths", l.masked_paths);
    put_nonempty(j, "readonlyPaths", l.readonly_paths);
    if (!l.rootfs_propagation.empty()) j["rootfsPropagation"] = l.rootfs_propagation;
    return j;
}

// "hooks": {"createRuntime": [{"path", "args", "env", "timeout"}], …}
const std::pair<const char*, std::vector<Hook> Hooks::*> kHookPhases[] = {
    {"prestart", &Hooks::prestart},           {"createRuntime", &Hooks::create_runtime},
    {"createContainer", &Hooks::create_container}, {"startContainer", &Hooks::start_container},
    {"poststart", &Hooks::poststart},         {"poststop", &Hooks::poststop}};

Hooks parse_hooks(const Json& j) {
    Hooks hooks;
    for (const auto& [name, member] : kHookPhases) {
        auto list = j.find(name);
        if (list == j.end() || list->is_null()) continue;
        for (const auto& e : *list) {
            Hook hook;
            hook.path = e.at("path").get<std::string>();
            get_to(e, "args", hook.args);
            get_to(e, "env", hook.env);
            get_opt(e, "timeout", hook.timeout);
            (hooks.*member).push_back(std::move(hook));
        }
    }
    return hooks;
}

Json hooks_json(const Hooks& hooks) {
    Json j = Json::object();
    for (const auto& [name, member] : kHookPhases) {
        for (const auto& hook : hooks.*member) {
            Json e = {{"path", hook.path}};
            put_nonempty(e, "args", hook.args);
            put_nonempty(e, "env", hook.env);
            put_opt(e, "timeout", hook.timeout);
            j[name].push_back(e);
        }
    }
    return j;
}

}  // namespace

const Namespace* Spec::find_namespace(std::string_view type) const {
    for (const auto& ns : linux_spec.namespaces)
        if (ns.type == type) return &ns;
    return nullptr;
}

Result<Spec> parse_spec(std::string_view json_text) {
    try {
        Json j = Json::parse(json_text);
        Spec s;
        get_to(j, "ociVersion", s.oci_version);
        if (auto p = j.find("process"); p != j.end()) s.process = parse_process(*p);
        if (auto r = j.find("root"); r != j.end()) {
            get_to(*r, "path", s.root.path);
            get_to(*r, "readonly", s.root.readonly);
        }
        get_to(j, "hostname", s.hostname);
        get_to(j, "domainname", s.domainname);
        if (auto m = j.find("mounts"); m != j.end())
            for (const auto& e : *m) {
                Mount mount;
                get_to(e, "destination", mount.destination);
                get_to(e, "type", mount.type);
                get_to(e, "source", mount.source);
                get_to(e, "options", mount.options);
                s.mounts.push_back(std::move(mount));
            }
        if (auto l = j.find("linux"); l != j.end()) s.linux_spec = parse_linux(*l);
        get_to(j, "annotations", s.annotations);
        if (auto h = j.find("hooks"); h != j.end() && !h->is_null()) s.hooks = parse_hooks(*h);
        if (s.root.path.empty()) return Error("config.json: root.path is required");
        if (s.process.args.empty()) return Error("config.json: process.args must not be empty");
        return s;
    } catch (const nlohmann::json::exception& e) {
        return Error(std::string("config.json: ") + e.what());
    }
}

std::string to_json(const Spec& s, int indent) {
    Json j;
    j["ociVersion"] = s.oci_version;
    j["process"] = process_json(s.process);
    j["root"] = {{"path", s.root.path}, {"readonly", s.root.readonly}};
    if (!s.hostname.empty()) j["hostname"] = s.hostname;
    if (!s.domainname.empty()) j["domainname"] = s.domainname;
    j["mounts"] = Json::array();
    for (const auto& m : s.mounts) {
        Json e = {{"destination", m.destination}, {"type", m.type}, {"source", m.source}};
        put_nonempty(e, "options", m.options);
        j["mounts"].push_back(e);
    }
    j["linux"] = linux_json(s.linux_spec);
    put_nonempty(j, "annotations", s.annotations);
    if (!s.hooks.empty()) j["hooks"] = hooks_json(s.hooks);
    return j.dump(indent) + "\n";
}

Result<Spec> load_bundle_spec(const std::filesystem::path& bundle) {
    auto text = TRY(sys::read_file(bundle / "config.json", 16 << 20));
    return parse_spec(text);
}

}  // namespace hako::runtime
