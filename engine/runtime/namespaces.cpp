// This file implements namespace planning and entering (setns) for the runtime.
#include "engine/runtime/namespaces.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>

#include <map>
#include <string>

namespace hako::runtime {
namespace {

const std::map<std::string, int>& namespace_flags() {
    static const std::map<std::string, int> flags = {
        {"pid", CLONE_NEWPID}, {"network", CLONE_NEWNET}, {"mount", CLONE_NEWNS}, {"ipc", CLONE_NEWIPC},
        {"uts", CLONE_NEWUTS}, {"cgroup", CLONE_NEWCGROUP}, {"user", CLONE_NEWUSER}};
    return flags;
}

}  // namespace

Result<NamespacePlan> plan_namespaces(const Spec& spec) {
    NamespacePlan plan;
    for (const auto& ns : spec.linux_spec.namespaces) {
        auto it = namespace_flags().find(ns.type);
        if (it == namespace_flags().end()) return Error("unknown namespace type \"" + ns.type + "\"");
        if (ns.type == "user") return Error("user namespaces are not supported by hako's runtime");
        if (!ns.path.empty()) {
            if (ns.type == "pid") return Error("joining a pid namespace by path is not supported");
            plan.joins.push_back(ns);
        } else if (ns.type == "cgroup") {
            plan.new_cgroup = true;
        } else {
            plan.clone_flags |= it->second;
        }
    }
    if (!(plan.clone_flags & CLONE_NEWNS)) return Error("a container needs its own mount namespace");
    return plan;
}

Result<void> join_namespaces(const std::vector<Namespace>& joins) {
    std::vector<std::pair<sys::UniqueFd, const Namespace*>> opened;
    for (const auto& ns : joins) {
        int fd = ::open(ns.path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return Error::from_syscall("open", errno, ns.path);
        opened.emplace_back(sys::UniqueFd(fd), &ns);
    }
    for (const auto& [fd, ns] : opened)
        if (setns(fd.get(), namespace_flags().at(ns->type)) != 0)
            return Error::from_syscall("setns", errno, ns->path);
    return ok();
}

Result<std::vector<NamespaceFd>> open_namespaces_of(pid_t pid) {
    static const std::pair<const char*, int> order[] = {{"cgroup", CLONE_NEWCGROUP}, {"ipc", CLONE_NEWIPC},
                                                       {"uts", CLONE_NEWUTS},       {"net", CLONE_NEWNET},
                                                       {"pid", CLONE_NEWPID},       {"mnt", CLONE_NEWNS}};
    std::vector<NamespaceFd> out;
    for (const auto& [name, type] : order) {
        std::string theirs = "/proc/" + std::to_string(pid) + "/ns/" + name;
        std::string ours = std::string("/proc/self/ns/") + name;
        struct stat a {}, b {};
        if (::stat(theirs.c_str(), &a) != 0) {
            if (errno == ENOENT && std::string(name) == "cgroup") continue;
            return Error::from_syscall("stat", errno, theirs);
        }
        if (::stat(ours.c_str(), &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev) continue;
        int fd = ::open(theirs.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return Error::from_syscall("open", errno, theirs);
        out.push_back({type, sys::UniqueFd(fd)});
    }
    return out;
}

Result<void> enter_namespaces(const std::vector<NamespaceFd>& namespaces) {
    for (const auto& ns : namespaces)
        if (setns(ns.fd.get(), ns.type) != 0) return Error::from_syscall("setns", errno, std::to_string(ns.type));
    return ok();
}

}  // namespace hako::runtime
