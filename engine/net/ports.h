// This file declares published ports: the checks of a container's `ports` entries,
// and their reservation on the host (one bound socket per port, held by the
// container's monitor while it runs, so a port in use is found and named, and a
// random host port is the kernel's choice).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/net/network_store.h"
#include "engine/sys/error.h"
#include "engine/sys/fd.h"

namespace hako::net {

struct PortRequest {
    int target = 0;
    int published_low = 0, published_high = 0;  // 0: a random port
    std::string host_ip;  // "": every address (IPv6 too where the container has one); "0.0.0.0", "::", or one address
    std::string protocol = "tcp";
};

// record.networking.ports → requests; an error names the entry (ports[i]) and what is wrong.
Result<std::vector<PortRequest>> parse_ports(const nlohmann::json& ports);

struct PortReservation {
    std::vector<PublishedPort> ports;
    std::vector<sys::UniqueFd> sockets;
};
// The address families of the container on the network that publishes its ports.
struct PortFamilies {
    bool ipv4 = true;
    bool ipv6 = false;
};
// Binds one socket per request and family (host_ip "" with IPv6: 0.0.0.0 and [::] on
// the same port); the first port in use (or no free one in a range) is an error naming
// it: "Bind for 0.0.0.0:8080 failed: port is already allocated"; an IPv6 host_ip for a
// container without IPv6 is an error naming the entry.
Result<PortReservation> reserve_ports(const std::vector<PortRequest>& requests, PortFamilies families = {});

// docker's -p syntax "[IP:][HOST_PORT[-END]:]CONTAINER_PORT[-END][/PROTO]" → entries of
// record.networking.ports ({target, published, host_ip, protocol}); a container range
// maps onto a host range of the same length.
Result<std::vector<nlohmann::json>> parse_publish_spec(const std::string& spec);

// The monitor keeps a container's reservation open while the container runs.
void hold_ports(const std::string& container_id, PortReservation reservation);
void release_ports(const std::string& container_id);
// The sockets held for a container (still owned here): the monitor passes them on
// when it execs hako-monitor, and hands them back with hold_ports on the exit path.
std::vector<int> held_port_sockets(const std::string& container_id);
// Drops what is held for a container WITHOUT closing it: for a monitor set up in
// its spawner's memory (monitor::spawn), where an earlier monitor's entries name
// fds of that monitor's process, not of this one.
void forget_held_ports(const std::string& container_id);

}  // namespace hako::net
