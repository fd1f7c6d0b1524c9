// This file implements nftables' netlink messages, rule expressions, batches and
// rule dumps (nft_batch.h) on a NETLINK_NETFILTER socket, as libnftnl builds them.
#include "engine/net/nft_batch.h"

// <netinet/in.h> before the kernel headers: linux/netfilter.h would define in_addr again.
#include <netinet/in.h>
#include <net/if.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <endian.h>

#include <algorithm>
#include <cstring>
#include <string_view>

#include "engine/sys/fd.h"

namespace hako::net::nft {

namespace {

Result<sys::UniqueFd> open_socket() {
    sys::UniqueFd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER));
    if (!fd) return Error::from_syscall("socket", errno, "netlink netfilter");
    timeval timeout{2, 0};  // the kernel answers at once; never hang on it
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    return fd;
}

Result<void> send_all(int fd, const std::vector<uint8_t>& bytes, const std::string& what) {
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    if (::sendto(fd, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) !=
        static_cast<ssize_t>(bytes.size()))
        return Error::from_syscall("sendto", errno, what);
    return ok();
}

// Calls `each` for every message in one recv'd buffer; false stops. NLMSG_OK and
// NLMSG_NEXT spelt out on size_t: the macros mix int and __u32 (clang's -Wsign-compare).
template <typename F>
void for_each_message(const uint8_t* buffer, size_t size, F&& each) {
    for (size_t at = 0; size - at >= sizeof(nlmsghdr);) {
        auto* h = reinterpret_cast<const nlmsghdr*>(buffer + at);
        if (h->nlmsg_len < sizeof(nlmsghdr) || h->nlmsg_len > size - at) return;
        if (!each(h)) return;
        at += NLMSG_ALIGN(h->nlmsg_len);
    }
}

// The attributes of a message body or of a nested attribute, by type (the last wins).
std::vector<std::pair<uint16_t, std::pair<const uint8_t*, size_t>>> attributes(const uint8_t* data, size_t size) {
    std::vector<std::pair<uint16_t, std::pair<const uint8_t*, size_t>>> out;
    for (size_t at = 0; size - at >= sizeof(nlattr);) {
        nlattr a;
        std::memcpy(&a, data + at, sizeof a);
        if (a.nla_len < sizeof(nlattr) || a.nla_len > size - at) break;
        out.push_back({static_cast<uint16_t>(a.nla_type & NLA_TYPE_MASK),
                       {data + at + NLA_HDRLEN, a.nla_len - size_t(NLA_HDRLEN)}});
        at += NLA_ALIGN(a.nla_len);
    }
    return out;
}

// The data of the cmp expressions in a rule's NFTA_RULE_EXPRESSIONS.
std::vector<std::vector<uint8_t>> compared_values(const uint8_t* data, size_t size) {
    std::vector<std::vector<uint8_t>> out;
    for (const auto& [type, element] : attributes(data, size)) {
        if (type != NFTA_LIST_ELEM) continue;
        bool is_cmp = false;
        for (const auto& [field, value] : attributes(element.first, element.second)) {
            if (field == NFTA_EXPR_NAME) is_cmp = std::string_view(reinterpret_cast<const char*>(value.first),
                                                                   strnlen(reinterpret_cast<const char*>(value.first),
                                                                           value.second)) == "cmp";
            if (field != NFTA_EXPR_DATA || !is_cmp) continue;
            for (const auto& [cmp_field, cmp_value] : attributes(value.first, value.second)) {
                if (cmp_field != NFTA_CMP_DATA) continue;
                for (const auto& [data_field, bytes] : attributes(cmp_value.first, cmp_value.second))
                    if (data_field == NFTA_DATA_VALUE) out.emplace_back(bytes.first, bytes.first + bytes.second);
            }
        }
    }
    return out;
}

}  // namespace

Message::Message(uint16_t type, uint16_t flags, uint8_t family, uint16_t res_id) {
    nlmsghdr header{};
    header.nlmsg_type = type;
    header.nlmsg_flags = flags;
    append(&header, sizeof header);
    nfgenmsg gen{};
    gen.nfgen_family = family;
    gen.version = NFNETLINK_V0;
    gen.res_id = htons(res_id);
    append(&gen, sizeof gen);
}

void Message::attribute(uint16_t type, const void* data, size_t size) {
    nlattr a{static_cast<uint16_t>(NLA_HDRLEN + size), type};
    append(&a, sizeof a);
    append(data, size);
    static constexpr uint8_t kZeros[NLA_ALIGNTO] = {};
    if (size_t odd = bytes_.size() % NLA_ALIGNTO) append(kZeros, NLA_ALIGNTO - odd);
}

void Message::u32(uint16_t type, uint32_t value) {
    uint32_t be = htonl(value);
    attribute(type, &be, sizeof be);
}

void Message::u64(uint16_t type, uint64_t value) {
    uint64_t be = htobe64(value);
    attribute(type, &be, sizeof be);
}

size_t Message::begin_nested(uint16_t type) {
    size_t at = bytes_.size();
    nlattr a{0, static_cast<uint16_t>(type | NLA_F_NESTED)};
    append(&a, sizeof a);
    return at;
}

void Message::end_nested(size_t at) {
    uint16_t length = static_cast<uint16_t>(bytes_.size() - at);
    std::memcpy(bytes_.data() + at, &length, sizeof length);
}

void Message::value(uint16_t type, const std::vector<uint8_t>& bytes) {
    size_t outer = begin_nested(type);
    attribute(NFTA_DATA_VALUE, bytes.data(), bytes.size());
    end_nested(outer);
}

void Message::append(const void* data, size_t size) {
    auto* p = static_cast<const uint8_t*>(data);
    bytes_.insert(bytes_.end(), p, p + size);
    uint32_t length = static_cast<uint32_t>(bytes_.size());  // nlmsg_len: always the whole message
    std::memcpy(bytes_.data(), &length, sizeof length);
}

Rule::Rule(Message& message) : m_(message), list_(message.begin_nested(NFTA_RULE_EXPRESSIONS)) {}

size_t Rule::begin(const char* name) {
    size_t element = m_.begin_nested(NFTA_LIST_ELEM);
    m_.string(NFTA_EXPR_NAME, name);
    open_.push_back(element);
    return m_.begin_nested(NFTA_EXPR_DATA);
}

void Rule::end(size_t at) {
    m_.end_nested(at);
    m_.end_nested(open_.back());
    open_.pop_back();
}

void Rule::meta(uint32_t key, uint32_t dreg) {
    size_t at = begin("meta");
    m_.u32(NFTA_META_KEY, key);
    m_.u32(NFTA_META_DREG, dreg);
    end(at);
}

void Rule::cmp(uint32_t sreg, uint32_t op, const std::vector<uint8_t>& data) {
    size_t at = begin("cmp");
    m_.u32(NFTA_CMP_SREG, sreg);
    m_.u32(NFTA_CMP_OP, op);
    m_.value(NFTA_CMP_DATA, data);
    end(at);
}

void Rule::lookup(const std::string& set, uint32_t sreg, bool inverted, std::optional<uint32_t> dreg) {
    size_t at = begin("lookup");
    m_.string(NFTA_LOOKUP_SET, set);
    m_.u32(NFTA_LOOKUP_SREG, sreg);
    if (dreg) m_.u32(NFTA_LOOKUP_DREG, *dreg);
    m_.u32(NFTA_LOOKUP_FLAGS, inverted ? NFT_LOOKUP_F_INV : 0);
    end(at);
}

void Rule::payload(uint32_t base, uint32_t offset, uint32_t length, uint32_t dreg) {
    size_t at = begin("payload");
    m_.u32(NFTA_PAYLOAD_DREG, dreg);
    m_.u32(NFTA_PAYLOAD_BASE, base);
    m_.u32(NFTA_PAYLOAD_OFFSET, offset);
    m_.u32(NFTA_PAYLOAD_LEN, length);
    end(at);
}

void Rule::fib_daddr_type(uint32_t dreg) {
    size_t at = begin("fib");
    m_.u32(NFTA_FIB_DREG, dreg);
    m_.u32(NFTA_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
    m_.u32(NFTA_FIB_FLAGS, NFTA_FIB_F_DADDR);
    end(at);
}

void Rule::ct(uint32_t key, uint32_t dreg) {
    size_t at = begin("ct");
    m_.u32(NFTA_CT_DREG, dreg);
    m_.u32(NFTA_CT_KEY, key);
    end(at);
}

void Rule::bitwise(uint32_t reg, const std::vector<uint8_t>& mask, const std::vector<uint8_t>& xor_value) {
    size_t at = begin("bitwise");
    m_.u32(NFTA_BITWISE_SREG, reg);
    m_.u32(NFTA_BITWISE_DREG, reg);
    m_.u32(NFTA_BITWISE_LEN, static_cast<uint32_t>(mask.size()));
    m_.value(NFTA_BITWISE_MASK, mask);
    m_.value(NFTA_BITWISE_XOR, xor_value);
    end(at);
}

void Rule::dnat(uint8_t family, uint32_t address_reg, uint32_t port_reg) {
    size_t at = begin("nat");
    m_.u32(NFTA_NAT_TYPE, NFT_NAT_DNAT);
    m_.u32(NFTA_NAT_FAMILY, family);
    m_.u32(NFTA_NAT_REG_ADDR_MIN, address_reg);
    m_.u32(NFTA_NAT_REG_ADDR_MAX, address_reg);
    m_.u32(NFTA_NAT_REG_PROTO_MIN, port_reg);
    m_.u32(NFTA_NAT_REG_PROTO_MAX, port_reg);
    m_.u32(NFTA_NAT_FLAGS, NF_NAT_RANGE_MAP_IPS | NF_NAT_RANGE_PROTO_SPECIFIED);
    end(at);
}

void Rule::masquerade() {
    size_t element = m_.begin_nested(NFTA_LIST_ELEM);
    m_.string(NFTA_EXPR_NAME, "masq");
    m_.end_nested(element);
}

void Rule::verdict(int32_t code, const std::string& chain) {
    size_t at = begin("immediate");
    m_.u32(NFTA_IMMEDIATE_DREG, NFT_REG_VERDICT);
    size_t data = m_.begin_nested(NFTA_IMMEDIATE_DATA);
    size_t verdict = m_.begin_nested(NFTA_DATA_VERDICT);
    m_.u32(NFTA_VERDICT_CODE, static_cast<uint32_t>(code));
    if (!chain.empty()) m_.string(NFTA_VERDICT_CHAIN, chain);
    m_.end_nested(verdict);
    m_.end_nested(data);
    end(at);
}

void Rule::finish() { m_.end_nested(list_); }

Message& Batch::add(uint16_t msg_type, uint16_t flags, uint8_t family) {
    messages_.emplace_back(static_cast<uint16_t>((NFNL_SUBSYS_NFTABLES << 8) | msg_type),
                           static_cast<uint16_t>(NLM_F_REQUEST | NLM_F_ACK | flags), family);
    return messages_.back();
}

Result<void> Batch::commit(const std::string& what) const {
    if (messages_.empty()) return ok();
    std::vector<uint8_t> bytes;
    uint32_t seq = 1;
    auto put = [&](const Message& m) {
        std::vector<uint8_t> copy = m.bytes();
        uint32_t number = seq++;
        std::memcpy(copy.data() + offsetof(nlmsghdr, nlmsg_seq), &number, sizeof number);
        bytes.insert(bytes.end(), copy.begin(), copy.end());
    };
    put(Message(NFNL_MSG_BATCH_BEGIN, NLM_F_REQUEST, AF_UNSPEC, NFNL_SUBSYS_NFTABLES));
    for (const auto& m : messages_) put(m);
    put(Message(NFNL_MSG_BATCH_END, NLM_F_REQUEST, AF_UNSPEC, NFNL_SUBSYS_NFTABLES));

    auto fd = TRY(open_socket());
    TRY(send_all(fd.get(), bytes, what));
    // One answer (an ack or an error) per message; any error aborted the batch.
    size_t acks = messages_.size();
    int failure = 0;
    alignas(nlmsghdr) uint8_t buffer[16384];
    while (acks > 0) {
        // The errors of a batch come together: once one is here, the rest is too (or never).
        ssize_t n = ::recv(fd.get(), buffer, sizeof buffer, failure ? MSG_DONTWAIT : 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && failure) break;
        if (n < 0) return Error::from_syscall("recv", errno, what);
        for_each_message(buffer, static_cast<size_t>(n), [&](const nlmsghdr* h) {
            if (h->nlmsg_type == NLMSG_ERROR) {
                auto* err = static_cast<const nlmsgerr*>(NLMSG_DATA(h));
                if (err->error != 0 && failure == 0) failure = -err->error;
                if (acks > 0) --acks;
            }
            return true;
        });
    }
    if (failure != 0) return Error::from_syscall("nftables", failure, what);
    return ok();
}

namespace {

// Whether `family table chain` exists: a GETCHAIN answers with the chain or ENOENT
// (a dump of its rules would answer an empty list either way).
Result<bool> chain_exists(int fd, uint8_t family, const std::string& table, const std::string& chain) {
    Message request(static_cast<uint16_t>((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETCHAIN), NLM_F_REQUEST, family);
    request.string(NFTA_CHAIN_TABLE, table);
    request.string(NFTA_CHAIN_NAME, chain);
    std::string what = "list chain " + table + " " + chain;
    TRY(send_all(fd, request.bytes(), what));
    alignas(nlmsghdr) uint8_t buffer[8192];
    for (;;) {
        ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return Error::from_syscall("recv", errno, what);
        int failure = 0;
        bool found = false, answered = false;
        for_each_message(buffer, static_cast<size_t>(n), [&](const nlmsghdr* h) {
            if (h->nlmsg_type == NLMSG_ERROR) failure = -static_cast<const nlmsgerr*>(NLMSG_DATA(h))->error;
            else if ((h->nlmsg_type & 0xff) == NFT_MSG_NEWCHAIN) found = true;
            answered = true;
            return false;
        });
        if (!answered) continue;
        if (failure == ENOENT) return false;
        if (failure != 0) return Error::from_syscall("nftables", failure, what);
        return found;
    }
}

}  // namespace

Result<std::optional<std::vector<RuleInfo>>> dump_rules(uint8_t family, const std::string& table,
                                                        const std::string& chain) {
    auto fd = TRY(open_socket());
    if (!TRY(chain_exists(fd.get(), family, table, chain))) return std::optional<std::vector<RuleInfo>>{};
    Message request(static_cast<uint16_t>((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETRULE),
                    NLM_F_REQUEST | NLM_F_DUMP, family);
    request.string(NFTA_RULE_TABLE, table);
    request.string(NFTA_RULE_CHAIN, chain);
    std::string what = "list chain " + table + " " + chain;
    TRY(send_all(fd.get(), request.bytes(), what));
    std::vector<RuleInfo> rules;
    alignas(nlmsghdr) uint8_t buffer[32768];
    int failure = 0;
    for (bool done = false; !done;) {
        ssize_t n = ::recv(fd.get(), buffer, sizeof buffer, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return Error::from_syscall("recv", errno, what);
        if (n == 0) break;
        for_each_message(buffer, static_cast<size_t>(n), [&](const nlmsghdr* h) {
            if (h->nlmsg_type == NLMSG_DONE) {
                done = true;
                return false;
            }
            if (h->nlmsg_type == NLMSG_ERROR) {
                failure = -static_cast<const nlmsgerr*>(NLMSG_DATA(h))->error;
                done = true;
                return false;
            }
            if ((h->nlmsg_type & 0xff) != NFT_MSG_NEWRULE) return true;
            size_t header = NLMSG_LENGTH(sizeof(nfgenmsg));
            if (h->nlmsg_len < header) return true;
            RuleInfo rule;
            for (const auto& [type, data] : attributes(reinterpret_cast<const uint8_t*>(h) + NLMSG_ALIGN(header),
                                                       h->nlmsg_len - NLMSG_ALIGN(header))) {
                if (type == NFTA_RULE_HANDLE && data.second == 8) {
                    uint64_t be;
                    std::memcpy(&be, data.first, 8);
                    rule.handle = be64toh(be);
                } else if (type == NFTA_RULE_USERDATA) {
                    rule.userdata.assign(data.first, data.first + data.second);
                } else if (type == NFTA_RULE_EXPRESSIONS) {
                    rule.compared = compared_values(data.first, data.second);
                }
            }
            rules.push_back(std::move(rule));
            return true;
        });
    }
    if (failure == ENOENT) return std::optional<std::vector<RuleInfo>>{};
    if (failure != 0) return Error::from_syscall("nftables", failure, what);
    return std::optional<std::vector<RuleInfo>>{std::move(rules)};
}

std::vector<uint8_t> comment_userdata(const std::string& comment) {
    std::vector<uint8_t> out(comment.size() + 3, 0);  // type, length, the text, NUL
    out[0] = 0;                                      // NFTNL_UDATA_RULE_COMMENT
    out[1] = static_cast<uint8_t>(comment.size() + 1);
    std::memcpy(out.data() + 2, comment.data(), comment.size());
    return out;
}

std::vector<uint8_t> ifname_bytes(const std::string& name) {
    std::vector<uint8_t> out(IFNAMSIZ, 0);
    std::memcpy(out.data(), name.data(), std::min(name.size(), size_t(IFNAMSIZ - 1)));
    return out;
}

}  // namespace hako::net::nft
