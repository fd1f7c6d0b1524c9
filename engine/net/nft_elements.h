// This file declares the published-port elements of a root's nftables DNAT maps and
// the transaction that adds or deletes them over nfnetlink directly: libnftables
// spends ~10 ms of CPU in each new process on its parser and cache before the first
// command, which alone is twice an attach's budget; one element batch is ~0.1 ms.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/net/ipam.h"
#include "engine/sys/error.h"

namespace hako::net {

// One element: (host address .) protocol . host port : container address . container port.
struct PortElement {
    std::string map;        // ports4_address, ports4_any, ports6_address, ports6_any
    bool keyed_by_address;  // the map's key starts with the host address
    Address host;           // when keyed_by_address
    std::string protocol;   // tcp | udp
    int host_port = 0;
    Address container;
    int container_port = 0;
};

// nft's text for the element: "127.0.0.1 . tcp . 8080 : 10.1.0.2 . 80" (key only: "… . 8080").
std::string element_text(const PortElement& element, bool with_data);

// nft's binary key and data of the element: each part of a concatenation padded to 4 bytes.
std::vector<uint8_t> element_key(const PortElement& element);
std::vector<uint8_t> element_data(const PortElement& element);

enum class ElementChange { Add, Delete };
// Adds or deletes `elements` in table `inet TABLE` in one nfnetlink batch (one
// transaction: all or nothing); an error gives the kernel's reason and names the
// elements in nft's text.
Result<void> change_elements(const std::string& table, const std::vector<PortElement>& elements,
                             ElementChange change);

}  // namespace hako::net
