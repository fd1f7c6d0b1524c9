// This file declares how hako turns on IPv6 forwarding (net.ipv6.conf.all.forwarding)
// while one of its networks routes IPv6 out, and puts the host's values back when the
// last one goes: interfaces that took router advertisements (accept_ra=1), which
// forwarding would stop, are set to accept_ra=2 meanwhile, so the host keeps its own routes.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "engine/sys/error.h"

namespace hako::net {

// What was changed, shared by every state root of one network namespace: kept in
// /run/hako-net/ipv6-forwarding-<netns inode>.json under /run/hako-net/ipv6-forwarding.lock
// (docs/formats.md).
struct Ipv6ForwardingRecord {
    std::vector<std::string> holders;           // nft table names of the roots that need it
    bool was_forwarding = false;                // all.forwarding was 1 before hako: left on
    std::vector<std::string> accept_ra_raised;  // interfaces (and "default") set from 1 to 2
    std::vector<std::string> forwarding_before; // interfaces with forwarding=1 while all was 0
};

std::string ipv6_forwarding_to_json(const Ipv6ForwardingRecord& record);
Result<Ipv6ForwardingRecord> ipv6_forwarding_from_json(const std::string& text);

// `holder` (a root's nft table name) needs IPv6 forwarding: turned on if it is off.
Result<void> hold_ipv6_forwarding(const std::string& holder);
// `holder` no longer needs it; the last holder's release restores what hold changed.
// Cheap (one stat) when nothing is held.
Result<void> release_ipv6_forwarding(const std::string& holder);

}  // namespace hako::net
