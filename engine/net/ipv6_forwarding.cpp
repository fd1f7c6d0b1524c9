// This file implements IPv6 forwarding held while a hako network routes IPv6 out
// (ipv6_forwarding.h): one record per network namespace under a lock, the host's
// values read before the first change and written back after the last holder goes.
#include "engine/net/ipv6_forwarding.h"

#include <sys/stat.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "engine/net/netlink.h"
#include "engine/sys/file.h"
#include "engine/sys/lock.h"

namespace hako::net {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Plain strings, not fs::path objects: a namespace-scope path is built at the start
// of every hako process, which mostly never comes here.
constexpr const char* kStateDir = "/run/hako-net";
constexpr const char* kConf = "/proc/sys/net/ipv6/conf";

fs::path lock_path() { return fs::path(kStateDir) / "ipv6-forwarding.lock"; }
// /proc/sys/net/ipv6/conf/INTERFACE/KEY
fs::path conf_file(const std::string& interface, const char* key) { return fs::path(kConf) / interface / key; }

// Sysctls are per network namespace, and so is the record; one lock serves them all.
fs::path record_path() {
    struct ::stat st{};
    unsigned long long inode = ::stat("/proc/self/ns/net", &st) == 0 ? st.st_ino : 0;
    return fs::path(kStateDir) / ("ipv6-forwarding-" + std::to_string(inode) + ".json");
}

std::string read_value(const fs::path& path) {
    auto text = sys::read_file(path, 64);
    if (!text.ok()) return "";
    std::string value = *text;
    while (!value.empty() && (value.back() == '\n' || value.back() == ' ')) value.pop_back();
    return value;
}

std::string conf_key(const std::string& interface, const char* name) {
    return "net/ipv6/conf/" + interface + "/" + name;
}

// The host's interfaces (and "default", which new ones copy); hako's own are left out.
std::vector<std::string> host_interfaces() {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(kConf, ec)) {
        std::string name = entry.path().filename().string();
        if (name == "all" || name.rfind("hk-", 0) == 0 || name.rfind("hv", 0) == 0) continue;
        out.push_back(name);
    }
    std::sort(out.begin(), out.end());
    return out;
}

// True when it was not there yet.
bool add_unique(std::vector<std::string>& list, const std::string& item) {
    if (std::find(list.begin(), list.end(), item) != list.end()) return false;
    list.push_back(item);
    return true;
}

}  // namespace

std::string ipv6_forwarding_to_json(const Ipv6ForwardingRecord& r) {
    return json{{"holders", r.holders},
                {"was_forwarding", r.was_forwarding},
                {"accept_ra_raised", r.accept_ra_raised},
                {"forwarding_before", r.forwarding_before}}
               .dump(2) +
           "\n";
}

Result<Ipv6ForwardingRecord> ipv6_forwarding_from_json(const std::string& text) {
    try {
        json j = json::parse(text);
        Ipv6ForwardingRecord r;
        r.holders = j.value("holders", std::vector<std::string>{});
        r.was_forwarding = j.value("was_forwarding", false);
        r.accept_ra_raised = j.value("accept_ra_raised", std::vector<std::string>{});
        r.forwarding_before = j.value("forwarding_before", std::vector<std::string>{});
        return r;
    } catch (const std::exception& e) {
        return Error(std::string("IPv6 forwarding record: ") + e.what());
    }
}

Result<void> hold_ipv6_forwarding(const std::string& holder) {
    std::error_code ec;
    fs::create_directories(kStateDir, ec);
    if (ec) return Error("create " + std::string(kStateDir) + ": " + ec.message());
    fs::path path = record_path();
    auto lock = TRY(sys::FileLock::acquire(lock_path(), sys::LockMode::Exclusive));
    Ipv6ForwardingRecord record;
    bool fresh = true, changed = false;
    if (auto text = sys::read_file(path, 1 << 20); text.ok()) {
        record = TRY(ipv6_forwarding_from_json(*text));
        fresh = false;
    }
    if (read_value(conf_file("all", "forwarding")) != "1") {
        // Forwarding makes an interface ignore router advertisements unless accept_ra is 2.
        for (const std::string& interface : host_interfaces()) {
            if (read_value(conf_file(interface, "accept_ra")) == "1" &&
                write_sysctl(conf_key(interface, "accept_ra"), "2").ok())
                changed |= add_unique(record.accept_ra_raised, interface);
            if (fresh && interface != "default" && read_value(conf_file(interface, "forwarding")) == "1")
                changed |= add_unique(record.forwarding_before, interface);
        }
        TRY(write_sysctl("net/ipv6/conf/all/forwarding", "1"));
    } else if (fresh) {
        record.was_forwarding = true;  // the host forwards by itself: it stays so
    }
    changed |= add_unique(record.holders, holder);
    if (!changed && !fresh) return ok();
    return sys::write_file_atomic(path, ipv6_forwarding_to_json(record));
}

Result<void> release_ipv6_forwarding(const std::string& holder) {
    fs::path path = record_path();
    std::error_code ec;
    if (!fs::exists(path, ec)) return ok();
    auto lock = TRY(sys::FileLock::acquire(lock_path(), sys::LockMode::Exclusive));
    auto text = sys::read_file(path, 1 << 20);
    if (!text.ok()) return ok();  // released by another root meanwhile
    Ipv6ForwardingRecord record = TRY(ipv6_forwarding_from_json(*text));
    auto it = std::find(record.holders.begin(), record.holders.end(), holder);
    if (it == record.holders.end()) return ok();
    record.holders.erase(it);
    if (!record.holders.empty()) return sys::write_file_atomic(path, ipv6_forwarding_to_json(record));
    if (!record.was_forwarding) {
        TRY(write_sysctl("net/ipv6/conf/all/forwarding", "0"));
        for (const std::string& interface : record.forwarding_before)
            (void)write_sysctl(conf_key(interface, "forwarding"), "1");
    }
    // Only what hako raised and nobody changed since.
    for (const std::string& interface : record.accept_ra_raised)
        if (read_value(conf_file(interface, "accept_ra")) == "2") (void)write_sysctl(conf_key(interface, "accept_ra"), "1");
    fs::remove(path, ec);
    return ok();
}

}  // namespace hako::net
