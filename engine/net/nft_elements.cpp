// This file implements the DNAT map elements of published ports (nft_elements.h):
// their nft text and binary forms, and one NEWSETELEM/DELSETELEM batch on a
// NETLINK_NETFILTER socket, as libnftnl would build it.
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

#include "engine/sys/fd.h"

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

// A netlink message under construction: header, nfgenmsg, attributes (nested ones too).
class Message {
public:
    Message(uint16_t type, uint16_t flags, uint32_t seq, uint8_t family, uint16_t res_id) {
        nlmsghdr header{};
        header.nlmsg_type = type;
        header.nlmsg_flags = flags;
        header.nlmsg_seq = seq;
        append(&header, sizeof header);
        nfgenmsg gen{};
        gen.nfgen_family = family;
        gen.version = NFNETLINK_V0;
        gen.res_id = htons(res_id);
        append(&gen, sizeof gen);
    }
    void attribute(uint16_t type, const void* data, size_t size) {
        nlattr a{static_cast<uint16_t>(NLA_HDRLEN + size), type};
        append(&a, sizeof a);
        append(data, size);
        pad();
    }
    void string(uint16_t type, const std::string& s) { attribute(type, s.c_str(), s.size() + 1); }
    size_t begin_nested(uint16_t type) {
        size_t at = bytes_.size();
        nlattr a{0, static_cast<uint16_t>(type | NLA_F_NESTED)};
        append(&a, sizeof a);
        return at;
    }
    void end_nested(size_t at) {
        uint16_t length = static_cast<uint16_t>(bytes_.size() - at);
        std::memcpy(bytes_.data() + at, &length, sizeof length);
    }
    const std::vector<uint8_t>& finish() {
        uint32_t length = static_cast<uint32_t>(bytes_.size());
        std::memcpy(bytes_.data(), &length, sizeof length);
        return bytes_;
    }

private:
    void append(const void* data, size_t size) {
        auto* p = static_cast<const uint8_t*>(data);
        bytes_.insert(bytes_.end(), p, p + size);
    }
    void pad() {
        while (bytes_.size() % NLA_ALIGNTO) bytes_.push_back(0);
    }
    std::vector<uint8_t> bytes_;
};

void value(Message& m, uint16_t type, const std::vector<uint8_t>& bytes) {
    size_t outer = m.begin_nested(type);
    m.attribute(NFTA_DATA_VALUE, bytes.data(), bytes.size());
    m.end_nested(outer);
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

    uint32_t seq = 1;
    std::vector<uint8_t> batch;
    auto add = [&](Message& m) {
        const auto& bytes = m.finish();
        batch.insert(batch.end(), bytes.begin(), bytes.end());
    };
    Message begin(NFNL_MSG_BATCH_BEGIN, NLM_F_REQUEST, seq++, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
    add(begin);
    uint32_t first = seq;
    uint16_t type = (NFNL_SUBSYS_NFTABLES << 8) |
                    (change == ElementChange::Add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM);
    uint16_t flags = NLM_F_REQUEST | NLM_F_ACK | (change == ElementChange::Add ? NLM_F_CREATE : 0);
    for (const auto& [map, members] : by_map) {
        Message m(type, flags, seq++, NFPROTO_INET, 0);
        m.string(NFTA_SET_ELEM_LIST_TABLE, table);
        m.string(NFTA_SET_ELEM_LIST_SET, map);
        size_t list = m.begin_nested(NFTA_SET_ELEM_LIST_ELEMENTS);
        for (const PortElement* e : members) {
            size_t item = m.begin_nested(NFTA_LIST_ELEM);
            value(m, NFTA_SET_ELEM_KEY, element_key(*e));
            if (change == ElementChange::Add) value(m, NFTA_SET_ELEM_DATA, element_data(*e));
            m.end_nested(item);
        }
        m.end_nested(list);
        add(m);
    }
    uint32_t acks = seq - first;
    Message end(NFNL_MSG_BATCH_END, NLM_F_REQUEST, seq++, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
    add(end);

    sys::UniqueFd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER));
    if (!fd) return Error::from_syscall("socket", errno, "netlink netfilter");
    timeval timeout{2, 0};  // the kernel answers at once; never hang on it
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    if (::sendto(fd.get(), batch.data(), batch.size(), 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) !=
        static_cast<ssize_t>(batch.size()))
        return Error::from_syscall("sendto", errno, "nftables batch");
    // One answer (an ack or an error) per element message; any error aborted the batch.
    std::string what = change == ElementChange::Add ? "add" : "delete";
    int failure = 0;
    alignas(nlmsghdr) uint8_t buffer[8192];
    while (acks > 0) {
        // The errors of a batch come together: once one is here, the rest is too (or never).
        ssize_t n = ::recv(fd.get(), buffer, sizeof buffer, failure ? MSG_DONTWAIT : 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && failure) break;
        if (n < 0) return Error::from_syscall("recv", errno, "nftables batch of table " + table);
        // NLMSG_OK/NLMSG_NEXT spelt out on size_t: the macros mix int and __u32 (clang's -Wsign-compare).
        size_t remaining = static_cast<size_t>(n);
        for (size_t at = 0; remaining >= sizeof(nlmsghdr);) {
            auto* h = reinterpret_cast<nlmsghdr*>(buffer + at);
            if (h->nlmsg_len < sizeof(nlmsghdr) || h->nlmsg_len > remaining) break;
            if (h->nlmsg_type == NLMSG_ERROR) {
                auto* err = static_cast<nlmsgerr*>(NLMSG_DATA(h));
                if (err->error != 0 && failure == 0) failure = -err->error;
                if (acks > 0) --acks;
            }
            size_t step = NLMSG_ALIGN(h->nlmsg_len);
            if (step >= remaining) break;
            at += step;
            remaining -= step;
        }
    }
    if (failure != 0)
        return Error::from_syscall("nftables", failure, what + " port elements in table inet " + table);
    return ok();
}

}  // namespace hako::net
