// This file declares the DNS wire format as the responder needs it (RFC 1035):
// reading one query safely (bounded names, compression loops refused) and writing
// answers, errors and truncated replies. It never reads past the bytes it is given.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace hako::dns {

enum class RecordType : uint16_t { A = 1, PTR = 12, AAAA = 28, OPT = 41 };
enum class Rcode : uint8_t { NoError = 0, FormErr = 1, ServFail = 2, NxDomain = 3, NotImp = 4, Refused = 5 };

inline constexpr uint16_t kClassIn = 1;
inline constexpr size_t kMaxUdpPayload = 512;    // without EDNS
inline constexpr size_t kOurEdnsPayload = 1232;  // what we accept and offer with EDNS
inline constexpr size_t kMaxMessage = 65535;

struct Question {
    std::string name;  // lower case, dot separated, no trailing dot ("" = the root)
    uint16_t type = 0;
    uint16_t klass = 0;
};

struct Query {
    uint16_t id = 0;
    uint16_t flags = 0;  // as sent (RD is echoed)
    Question question;
    std::vector<uint8_t> question_wire;  // the question as sent (name case kept), for echoing
    bool edns = false;
    size_t udp_limit = kMaxUdpPayload;  // how large a UDP reply the client takes
};

// What became of reading a message.
enum class ParseStatus {
    Ok,
    Drop,     // not answerable (too short for a header, or a response): say nothing
    FormErr,  // a query we cannot read: answer FORMERR with its id
    NotImp,   // an opcode other than QUERY
};

struct ParseResult {
    ParseStatus status = ParseStatus::Drop;
    Query query;  // id is set for FormErr and NotImp too
};

ParseResult parse_query(std::span<const uint8_t> message);

// Reads a possibly compressed name at `offset` (advanced past it in the message);
// nullopt for a name that runs past the end, loops, points forward into itself,
// has a label longer than 63 or a name longer than 255 bytes.
std::optional<std::string> read_name(std::span<const uint8_t> message, size_t& offset);

struct Answer {
    RecordType type = RecordType::A;
    uint32_t ttl = 0;
    std::vector<uint8_t> rdata;  // A: 4 bytes, AAAA: 16 bytes, PTR: the name is in `target`
    std::string target;          // PTR only
};

// A reply to `query` that echoes its question. Answers that do not fit in `limit`
// bytes are left out and TC is set. authoritative sets AA; recursion available is set.
std::vector<uint8_t> build_reply(const Query& query, Rcode rcode, const std::vector<Answer>& answers,
                                 size_t limit, bool authoritative);
// A header-only error reply (FORMERR, NOTIMP) for a message whose question cannot be read.
std::vector<uint8_t> build_header_error(uint16_t id, uint16_t flags, Rcode rcode);

// Encodes a dotted name in wire form (no compression); nullopt when it is not a valid name.
std::optional<std::vector<uint8_t>> encode_name(const std::string& name);

// "4.3.2.1.in-addr.arpa" for 1.2.3.4; nibbles under ip6.arpa for IPv6. Empty for a bad address.
std::string reverse_name(const std::string& address);

}  // namespace hako::dns
