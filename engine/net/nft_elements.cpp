// This file implements the DNAT map elements of published ports (nft_elements.h):
// their nft text and binary forms, and one NEWSETELEM/DELSETELEM batch (nft_batch.h).
#include "engine/net/nft_elements.h"

// <netinet/in.h> before the kernel headers: linux/netfilter.h would define in_addr again.
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <cstring>
#include <map>

#include "engine/net/nft_batch.h"

namespace hako::net {

namespace {

void put_padded(std::vector<uint8_t>& out, const uint8_t* bytes, size_t size) {
    out.insert(out.end(), bytes, bytes + size);
    while (out.size() % 4) out.push_back(0);
}

void put_address(std::vector<uint8_t>& out, const Address& a) {
    put_padded(out, a.bytes.data(), a.family == AF_INET ? 4 : 16);
}

void put_port(std::vector<uint8_t>& out, int port) {
    uint16_t be = htons(static_cast<uint16_t>(port));
    put_padded(out, reinterpret_cast<const uint8_t*>(&be), 2);
}

}  // namespace

std::string element_text(const PortElement& e, bool with_data) {
    std::string s;
    if (e.keyed_by_address) s += e.host.str() + " . ";
    s += e.protocol + " . " + std::to_string(e.host_port);
    if (with_data) s += " : " + e.container.str() + " . " + std::to_string(e.container_port);
    return s;
}

std::vector<uint8_t> element_key(const PortElement& e) {
    std::vector<uint8_t> key;
    if (e.keyed_by_address) put_address(key, e.host);
    uint8_t protocol = e.protocol == "udp" ? IPPROTO_UDP : IPPROTO_TCP;
    put_padded(key, &protocol, 1);
    put_port(key, e.host_port);
    return key;
}

std::vector<uint8_t> element_data(const PortElement& e) {
    std::vector<uint8_t> data;
    put_address(data, e.container);
    put_port(data, e.container_port);
    return data;
}

Result<void> change_elements(const std::string& table, const std::vector<PortElement>& elements,
                             ElementChange change) {
    if (elements.empty()) return ok();
    std::map<std::string, std::vector<const PortElement*>> by_map;
    for (const auto& e : elements) by_map[e.map].push_back(&e);
    nft::Batch batch;
    for (const auto& [map, members] : by_map) {
        auto& m = change == ElementChange::Add ? batch.add(NFT_MSG_NEWSETELEM, NLM_F_CREATE, NFPROTO_INET)
                                               : batch.add(NFT_MSG_DELSETELEM, 0, NFPROTO_INET);
        m.string(NFTA_SET_ELEM_LIST_TABLE, table);
        m.string(NFTA_SET_ELEM_LIST_SET, map);
        size_t list = m.begin_nested(NFTA_SET_ELEM_LIST_ELEMENTS);
        for (const PortElement* e : members) {
            size_t item = m.begin_nested(NFTA_LIST_ELEM);
            m.value(NFTA_SET_ELEM_KEY, element_key(*e));
            if (change == ElementChange::Add) m.value(NFTA_SET_ELEM_DATA, element_data(*e));
            m.end_nested(item);
        }
        m.end_nested(list);
    }
    std::string what = change == ElementChange::Add ? "add" : "delete";
    for (size_t i = 0; i < elements.size(); ++i)
        what += (i ? ", " : " ") + elements[i].map + " { " + element_text(elements[i], change == ElementChange::Add) + " }";
    return batch.commit(what + " in table inet " + table);
}

}  // namespace hako::net
