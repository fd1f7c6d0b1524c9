// This file implements user and group resolution from passwd/group text, with
// the rules of docker's (moby/sys/user) GetExecUser.
#include "engine/runtime/user.h"

#include <algorithm>
#include <charconv>
#include <optional>

#include "engine/runtime/path_in_root.h"

namespace hako::runtime {
namespace {

std::vector<std::string_view> split(std::string_view text, char separator) {
    std::vector<std::string_view> out;
    size_t start = 0;
    for (;;) {
        size_t end = text.find(separator, start);
        out.push_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
        if (end == std::string_view::npos) break;
        start = end + 1;
    }
    return out;
}

std::optional<uint32_t> parse_id(std::string_view text) {
    uint32_t value = 0;
    if (text.empty()) return std::nullopt;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

struct PasswdEntry {
    std::string name;
    uint32_t uid, gid;
    std::string home;
};
struct GroupEntry {
    std::string name;
    uint32_t gid;
    std::vector<std::string> members;
};

std::vector<PasswdEntry> parse_passwd(std::string_view text) {
    std::vector<PasswdEntry> out;
    for (auto line : split(text, '\n')) {
        if (line.empty() || line.front() == '#') continue;
        auto f = split(line, ':');
        if (f.size() < 4) continue;
        auto uid = parse_id(f[2]);
        auto gid = parse_id(f[3]);
        if (!uid || !gid) continue;
        out.push_back({std::string(f[0]), *uid, *gid, f.size() > 5 ? std::string(f[5]) : std::string()});
    }
    return out;
}

std::vector<GroupEntry> parse_group(std::string_view text) {
    std::vector<GroupEntry> out;
    for (auto line : split(text, '\n')) {
        if (line.empty() || line.front() == '#') continue;
        auto f = split(line, ':');
        if (f.size() < 3) continue;
        auto gid = parse_id(f[2]);
        if (!gid) continue;
        GroupEntry entry{std::string(f[0]), *gid, {}};
        if (f.size() > 3)
            for (auto member : split(f[3], ','))
                if (!member.empty()) entry.members.emplace_back(member);
        out.push_back(std::move(entry));
    }
    return out;
}

Result<uint32_t> group_id(std::string_view group, const std::vector<GroupEntry>& groups) {
    for (const auto& g : groups)
        if (g.name == group) return g.gid;
    if (auto number = parse_id(group)) return *number;
    return Error("unable to find group " + std::string(group) + ": no matching entries in group file");
}

}  // namespace

Result<ResolvedUser> resolve_user(std::string_view user, std::string_view passwd_text,
                                  std::string_view group_text, const std::vector<std::string>& extra_groups) {
    auto users = parse_passwd(passwd_text);
    auto groups = parse_group(group_text);
    std::string_view user_part = user;
    std::optional<std::string_view> group_part;
    if (auto colon = user.find(':'); colon != std::string_view::npos) {
        user_part = user.substr(0, colon);
        group_part = user.substr(colon + 1);
    }
    if (user_part.empty()) user_part = "0";

    ResolvedUser out;
    const PasswdEntry* entry = nullptr;
    auto numeric = parse_id(user_part);
    for (const auto& u : users)
        if ((numeric && u.uid == *numeric) || (!numeric && u.name == user_part)) {
            entry = &u;
            break;
        }
    if (entry) {
        out.uid = entry->uid;
        out.gid = entry->gid;
        if (!entry->home.empty()) out.home = entry->home;
    } else if (numeric) {
        out.uid = *numeric;
        out.gid = 0;
    } else {
        return Error("unable to find user " + std::string(user_part) + ": no matching entries in passwd file");
    }
    if (group_part && !group_part->empty()) out.gid = TRY(group_id(*group_part, groups));

    if (entry)
        for (const auto& g : groups)
            if (std::find(g.members.begin(), g.members.end(), entry->name) != g.members.end() &&
                std::find(out.additional_gids.begin(), out.additional_gids.end(), g.gid) ==
                    out.additional_gids.end())
                out.additional_gids.push_back(g.gid);
    for (const auto& extra : extra_groups) {
        uint32_t gid = TRY(group_id(extra, groups));
        if (std::find(out.additional_gids.begin(), out.additional_gids.end(), gid) == out.additional_gids.end())
            out.additional_gids.push_back(gid);
    }
    return out;
}

Result<ResolvedUser> resolve_user_in_rootfs(const std::filesystem::path& rootfs, std::string_view user,
                                            const std::vector<std::string>& extra_groups) {
    auto read_or_empty = [&](const char* path) -> Result<std::string> {
        auto text = read_file_in_root(rootfs, path);
        if (!text.ok() && text.error().errno_value == ENOENT) return std::string();
        return text;
    };
    auto passwd = TRY(read_or_empty("/etc/passwd"));
    auto group = TRY(read_or_empty("/etc/group"));
    return resolve_user(user, passwd, group, extra_groups);
}

}  // namespace hako::runtime
