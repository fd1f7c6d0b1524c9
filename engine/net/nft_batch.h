// This file declares nftables' netlink messages as hako builds them without
// libnftables (which spends ~10 ms of CPU and ~1,000 page faults per process on
// its parser and cache before its first command): a message builder, the
// expressions hako's rules use, one transaction (batch) sent and its acks read,
// and a dump of one chain's rules (handle and userdata).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/sys/error.h"

namespace hako::net::nft {

// One nfnetlink message under construction: header, nfgenmsg, attributes (nested
// ones too). Integers go in network byte order, as nf_tables reads them.
class Message {
public:
    Message(uint16_t type, uint16_t flags, uint8_t family, uint16_t res_id = 0);
    void attribute(uint16_t type, const void* data, size_t size);
    void string(uint16_t type, const std::string& s) { attribute(type, s.c_str(), s.size() + 1); }
    void u32(uint16_t type, uint32_t value);
    void u64(uint16_t type, uint64_t value);
    size_t begin_nested(uint16_t type);
    void end_nested(size_t at);
    // NFTA_DATA_VALUE inside a nested `type`.
    void value(uint16_t type, const std::vector<uint8_t>& bytes);
    const std::vector<uint8_t>& bytes() const { return bytes_; }

private:
    void append(const void* data, size_t size);
    std::vector<uint8_t> bytes_;
};

// The expressions of one rule, appended to a NEWRULE message (see `nft --debug=netlink`).
class Rule {
public:
    explicit Rule(Message& message);  // opens NFTA_RULE_EXPRESSIONS
    void meta(uint32_t key, uint32_t dreg);
    void cmp(uint32_t sreg, uint32_t op, const std::vector<uint8_t>& data);
    void lookup(const std::string& set, uint32_t sreg, bool inverted = false, std::optional<uint32_t> dreg = {});
    void payload(uint32_t base, uint32_t offset, uint32_t length, uint32_t dreg);
    void fib_daddr_type(uint32_t dreg);
    void ct(uint32_t key, uint32_t dreg);
    void bitwise(uint32_t reg, const std::vector<uint8_t>& mask, const std::vector<uint8_t>& xor_value);
    void dnat(uint8_t family, uint32_t address_reg, uint32_t port_reg);
    void masquerade();
    void verdict(int32_t code, const std::string& chain = "");
    void finish();  // closes NFTA_RULE_EXPRESSIONS

private:
    size_t begin(const char* name);  // NFTA_LIST_ELEM + NFTA_EXPR_NAME, opens NFTA_EXPR_DATA
    void end(size_t at);

    Message& m_;
    size_t list_;
    std::vector<size_t> open_;
};

// One transaction: BATCH_BEGIN, the messages (each asks for an ack), BATCH_END;
// all of it or none of it takes effect.
class Batch {
public:
    Message& add(uint16_t msg_type, uint16_t flags, uint8_t family);
    // Sends it and reads every answer; the first error (with `what`) when any came.
    Result<void> commit(const std::string& what) const;

private:
    std::vector<Message> messages_;
};

// One rule of a chain as a dump gives it.
struct RuleInfo {
    uint64_t handle = 0;
    std::vector<uint8_t> userdata;
    std::vector<std::vector<uint8_t>> compared;  // the data of its cmp expressions, in order
};
// The rules of `family table chain`; nullopt when the table or chain does not exist.
Result<std::optional<std::vector<RuleInfo>>> dump_rules(uint8_t family, const std::string& table,
                                                        const std::string& chain);

// nft's rule comment as rule userdata (libnftnl's NFTNL_UDATA_RULE_COMMENT TLV).
std::vector<uint8_t> comment_userdata(const std::string& comment);

// An interface name as nft keys and compares it: IFNAMSIZ bytes, NUL padded.
std::vector<uint8_t> ifname_bytes(const std::string& name);

}  // namespace hako::net::nft
