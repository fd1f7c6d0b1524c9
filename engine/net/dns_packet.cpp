// This file implements the DNS wire format of the responder (dns_packet.h): a
// bounds-checked reader for queries and a writer for replies.
#include "engine/net/dns_packet.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace hako::dns {
namespace {

constexpr size_t kHeaderSize = 12;
constexpr size_t kMaxNameWire = 255;
constexpr int kMaxPointerJumps = 64;
constexpr uint16_t kFlagResponse = 0x8000;
constexpr uint16_t kFlagAuthoritative = 0x0400;
constexpr uint16_t kFlagTruncated = 0x0200;
constexpr uint16_t kFlagRecursionDesired = 0x0100;
constexpr uint16_t kFlagRecursionAvailable = 0x0080;

uint16_t get16(std::span<const uint8_t> message, size_t offset) {
    return static_cast<uint16_t>((message[offset] << 8) | message[offset + 1]);
}

void put16(std::vector<uint8_t>& out, uint16_t value) {
    out.push_back(static_cast<uint8_t>(value >> 8));
    out.push_back(static_cast<uint8_t>(value & 0xff));
}

void put32(std::vector<uint8_t>& out, uint32_t value) {
    put16(out, static_cast<uint16_t>(value >> 16));
    put16(out, static_cast<uint16_t>(value & 0xffff));
}

void set16(std::vector<uint8_t>& out, size_t offset, uint16_t value) {
    out[offset] = static_cast<uint8_t>(value >> 8);
    out[offset + 1] = static_cast<uint8_t>(value & 0xff);
}

// Reads a name as read_name does; `compressed` tells whether a pointer was followed.
std::optional<std::string> read_name_impl(std::span<const uint8_t> message, size_t& offset,
                                          bool& compressed) {
    std::string name;
    size_t position = offset;
    size_t wire_length = 1;
    size_t end_of_name = 0;  // where the caller continues: after the first pointer or the final 0
    int jumps = 0;
    compressed = false;
    for (;;) {
        if (position >= message.size()) return std::nullopt;
        uint8_t length = message[position];
        if ((length & 0xc0) == 0xc0) {
            if (position + 1 >= message.size()) return std::nullopt;
            size_t target = static_cast<size_t>(get16(message, position) & 0x3fff);
            // Only backwards, and a bounded number of times: no loop can go on.
            if (target >= position || ++jumps > kMaxPointerJumps) return std::nullopt;
            if (!compressed) end_of_name = position + 2;
            compressed = true;
            position = target;
            continue;
        }
        if ((length & 0xc0) != 0) return std::nullopt;  // 0x40 and 0x80 label types are obsolete
        if (length == 0) {
            offset = compressed ? end_of_name : position + 1;
            return name;
        }
        if (position + 1 + length > message.size()) return std::nullopt;
        wire_length += 1 + length;
        if (wire_length > kMaxNameWire) return std::nullopt;
        if (!name.empty()) name.push_back('.');
        for (size_t i = 0; i < length; ++i) {
            char c = static_cast<char>(message[position + 1 + i]);
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
            // A dot or backslash inside a label is escaped, so such a name never
            // equals a local one that has the same text split into labels.
            if (c == '.' || c == '\\') name.push_back('\\');
            name.push_back(c);
        }
        position += 1 + length;
    }
}

// Skips one resource record at `offset`; false when it runs past the end.
bool skip_record(std::span<const uint8_t> message, size_t& offset, uint16_t& type, uint16_t& klass) {
    bool compressed = false;
    if (!read_name_impl(message, offset, compressed)) return false;
    if (offset + 10 > message.size()) return false;
    type = get16(message, offset);
    klass = get16(message, offset + 2);
    size_t rdlength = get16(message, offset + 8);
    offset += 10;
    if (offset + rdlength > message.size()) return false;
    offset += rdlength;
    return true;
}

}  // namespace

std::optional<std::string> read_name(std::span<const uint8_t> message, size_t& offset) {
    bool compressed = false;
    return read_name_impl(message, offset, compressed);
}

ParseResult parse_query(std::span<const uint8_t> message) {
    ParseResult result;
    if (message.size() < kHeaderSize || message.size() > kMaxMessage) return result;
    Query& query = result.query;
    query.id = get16(message, 0);
    query.flags = get16(message, 2);
    if (query.flags & kFlagResponse) return result;  // never answer an answer
    if (((query.flags >> 11) & 0xf) != 0) {
        result.status = ParseStatus::NotImp;
        return result;
    }
    result.status = ParseStatus::FormErr;
    if (get16(message, 4) != 1) return result;
    size_t offset = kHeaderSize;
    bool compressed = false;
    auto name = read_name_impl(message, offset, compressed);
    if (!name || offset + 4 > message.size()) return result;
    query.question.name = std::move(*name);
    query.question.type = get16(message, offset);
    query.question.klass = get16(message, offset + 2);
    offset += 4;
    if (compressed) {
        auto wire = encode_name(query.question.name);
        if (!wire) return result;
        query.question_wire = std::move(*wire);
        put16(query.question_wire, query.question.type);
        put16(query.question_wire, query.question.klass);
    } else {
        query.question_wire.assign(message.begin() + kHeaderSize, message.begin() + static_cast<long>(offset));
    }
    // EDNS: an OPT record among the others says how large a UDP reply may be.
    // A damaged record section only means no EDNS; the question stands.
    size_t records = size_t{get16(message, 6)} + get16(message, 8) + get16(message, 10);
    for (size_t i = 0; i < records; ++i) {
        uint16_t type = 0, klass = 0;
        if (!skip_record(message, offset, type, klass)) break;
        if (type == static_cast<uint16_t>(RecordType::OPT)) {
            query.edns = true;
            query.udp_limit = std::clamp<size_t>(klass, kMaxUdpPayload, kOurEdnsPayload);
        }
    }
    result.status = ParseStatus::Ok;
    return result;
}

std::optional<std::vector<uint8_t>> encode_name(const std::string& name) {
    std::vector<uint8_t> out;
    size_t start = 0;
    while (start < name.size()) {
        size_t dot = name.find('.', start);
        if (dot == std::string::npos) dot = name.size();
        size_t length = dot - start;
        if (length == 0 || length > 63) return std::nullopt;
        out.push_back(static_cast<uint8_t>(length));
        out.insert(out.end(), name.begin() + static_cast<long>(start), name.begin() + static_cast<long>(dot));
        start = dot + 1;
        if (dot == name.size() - 1) break;  // a trailing dot ends the name
    }
    out.push_back(0);
    if (out.size() > kMaxNameWire) return std::nullopt;
    return out;
}

std::vector<uint8_t> build_header_error(uint16_t id, uint16_t flags, Rcode rcode) {
    std::vector<uint8_t> out;
    put16(out, id);
    uint16_t reply_flags = static_cast<uint16_t>(kFlagResponse | (flags & 0x7800) |
                                                 (flags & kFlagRecursionDesired) |
                                                 kFlagRecursionAvailable | static_cast<uint16_t>(rcode));
    put16(out, reply_flags);
    for (int i = 0; i < 4; ++i) put16(out, 0);
    return out;
}

std::vector<uint8_t> build_reply(const Query& query, Rcode rcode, const std::vector<Answer>& answers,
                                 size_t limit, bool authoritative) {
    constexpr size_t kOptSize = 11;
    std::vector<uint8_t> out;
    out.reserve(512);
    put16(out, query.id);
    uint16_t flags = static_cast<uint16_t>(kFlagResponse | (query.flags & kFlagRecursionDesired) |
                                           kFlagRecursionAvailable | static_cast<uint16_t>(rcode));
    if (authoritative) flags |= kFlagAuthoritative;
    put16(out, flags);
    put16(out, 1);
    put16(out, 0);  // answers, set below
    put16(out, 0);
    put16(out, query.edns ? 1 : 0);
    out.insert(out.end(), query.question_wire.begin(), query.question_wire.end());
    size_t reserve = query.edns ? kOptSize : 0;
    uint16_t written = 0;
    bool truncated = false;
    for (const Answer& answer : answers) {
        std::vector<uint8_t> rdata = answer.rdata;
        if (answer.type == RecordType::PTR) {
            auto target = encode_name(answer.target);
            if (!target) continue;
            rdata = std::move(*target);
        }
        size_t size = 2 + 10 + rdata.size();
        if (out.size() + size + reserve > limit) {
            truncated = true;
            break;
        }
        put16(out, 0xc000 | kHeaderSize);  // the question's name
        put16(out, static_cast<uint16_t>(answer.type));
        put16(out, kClassIn);
        put32(out, answer.ttl);
        put16(out, static_cast<uint16_t>(rdata.size()));
        out.insert(out.end(), rdata.begin(), rdata.end());
        ++written;
    }
    set16(out, 6, written);
    if (truncated) set16(out, 2, flags | kFlagTruncated);
    if (query.edns) {
        out.push_back(0);
        put16(out, static_cast<uint16_t>(RecordType::OPT));
        put16(out, static_cast<uint16_t>(kOurEdnsPayload));
        put32(out, 0);
        put16(out, 0);
    }
    return out;
}

std::string reverse_name(const std::string& address) {
    unsigned char bytes[16];
    if (inet_pton(AF_INET, address.c_str(), bytes) == 1) {
        return std::to_string(bytes[3]) + "." + std::to_string(bytes[2]) + "." + std::to_string(bytes[1]) +
               "." + std::to_string(bytes[0]) + ".in-addr.arpa";
    }
    if (inet_pton(AF_INET6, address.c_str(), bytes) == 1) {
        static const char* hex = "0123456789abcdef";
        std::string name;
        for (int i = 15; i >= 0; --i) {
            name += hex[bytes[i] & 0xf];
            name += '.';
            name += hex[bytes[i] >> 4];
            name += '.';
        }
        return name + "ip6.arpa";
    }
    return {};
}

}  // namespace hako::dns
