// This file implements the mount hooks of a container (container/hooks.h): the
// docker-run style binds (HOST:CTR[:ro]) and tmpfs entries of the record.
#include <unistd.h>

#include "engine/container/hooks.h"
#include "engine/container/options.h"

namespace hako::volume {

namespace {

Result<void> check_bind(const std::string& bind) {
    auto bad = [&](const std::string& why) {
        return Error("invalid volume specification '" + bind + "': " + why, container::kRunFailure);
    };
    size_t first = bind.find(':');
    if (first == std::string::npos) return bad("want HOST:CONTAINER[:ro|rw] (anonymous volumes are not supported)");
    std::string host = bind.substr(0, first), rest = bind.substr(first + 1);
    size_t second = rest.find(':');
    std::string target = rest.substr(0, second);
    if (host.empty() || host[0] != '/') return bad("the host path must be absolute (named volumes are not supported)");
    if (target.empty() || target[0] != '/') return bad("the container path must be absolute");
    if (second != std::string::npos) {
        std::string mode = rest.substr(second + 1);
        if (mode != "ro" && mode != "rw") return bad("unknown mode '" + mode + "'");
    }
    if (::access(host.c_str(), F_OK) != 0) return bad("the host path does not exist");
    return ok();
}

}  // namespace

Result<void> check_create(const container::ContainerStore&, container::ContainerRecord& record) {
    for (const auto& bind : record.binds) TRY(check_bind(bind));
    for (const auto& t : record.tmpfs)
        if (t.empty() || t[0] != '/')
            return Error("invalid tmpfs mount '" + t + "': the path must be absolute", container::kRunFailure);
    return ok();
}

Result<void> prepare(const container::RunContext& context, runtime::ContainerConfig& config) {
    for (const auto& bind : context.record.binds) {
        runtime::Mount m;
        size_t first = bind.find(':');
        m.source = bind.substr(0, first);
        std::string rest = bind.substr(first + 1);
        size_t second = rest.find(':');
        m.destination = rest.substr(0, second);
        std::string mode = second == std::string::npos ? "rw" : rest.substr(second + 1);
        m.type = "bind";
        m.options = {"rbind", mode == "ro" ? "ro" : "rw"};
        config.mounts.push_back(std::move(m));
    }
    for (const auto& entry : context.record.tmpfs) {
        runtime::Mount m;
        size_t colon = entry.find(':');
        m.destination = entry.substr(0, colon);
        m.type = m.source = "tmpfs";
        m.options = {"nosuid", "nodev", "noexec"};
        if (colon != std::string::npos) {
            std::string extra = entry.substr(colon + 1);
            for (size_t start = 0; start <= extra.size();) {
                size_t comma = extra.find(',', start);
                if (comma == std::string::npos) comma = extra.size();
                if (comma > start) m.options.push_back(extra.substr(start, comma - start));
                start = comma + 1;
            }
        }
        config.mounts.push_back(std::move(m));
    }
    return ok();
}

void release(const container::RunContext&) {}

Result<void> on_remove(const container::RunContext&, bool) { return ok(); }

}  // namespace hako::volume
