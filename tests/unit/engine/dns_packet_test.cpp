// Tests of the DNS wire format (engine/net/dns_packet.cpp): queries read safely,
// hostile packets refused without a crash, replies written and truncated correctly.
#include <catch2/catch.hpp>
#include <random>

#include "engine/net/dns_packet.h"

using namespace hako::dns;

namespace {

std::vector<uint8_t> make_query(const std::string& name, uint16_t type, uint16_t id = 0x1234, bool edns = false,
                                uint16_t edns_size = 4096) {
    std::vector<uint8_t> out = {static_cast<uint8_t>(id >> 8), static_cast<uint8_t>(id & 0xff), 0x01, 0x00, 0, 1, 0, 0, 0, 0,
                                0, static_cast<uint8_t>(edns ? 1 : 0)};
    auto wire = encode_name(name);
    REQUIRE(wire);
    out.insert(out.end(), wire->begin(), wire->end());
    out.push_back(static_cast<uint8_t>(type >> 8));
    out.push_back(static_cast<uint8_t>(type & 0xff));
    out.push_back(0);
    out.push_back(1);
    if (edns) {
        std::vector<uint8_t> opt = {0, 0, 41, static_cast<uint8_t>(edns_size >> 8), static_cast<uint8_t>(edns_size & 0xff), 0, 0, 0, 0, 0, 0};
        out.insert(out.end(), opt.begin(), opt.end());
    }
    return out;
}

uint16_t field(const std::vector<uint8_t>& message, size_t offset) {
    return static_cast<uint16_t>((message[offset] << 8) | message[offset + 1]);
}

}  // namespace

TEST_CASE("dns packet: a plain A query is read, its name lower-cased, its question kept as sent") {
    auto raw = make_query("Web.Example", 1);
    ParseResult parsed = parse_query(raw);
    REQUIRE(parsed.status == ParseStatus::Ok);
    CHECK(parsed.query.id == 0x1234);
    CHECK(parsed.query.question.name == "web.example");
    CHECK(parsed.query.question.type == 1);
    CHECK(parsed.query.question.klass == 1);
    CHECK(parsed.query.question_wire == std::vector<uint8_t>(raw.begin() + 12, raw.end()));
    CHECK_FALSE(parsed.query.edns);
    CHECK(parsed.query.udp_limit == 512);
}

TEST_CASE("dns packet: EDNS raises the UDP limit up to what the responder offers") {
    ParseResult parsed = parse_query(make_query("a", 1, 1, true, 4096));
    REQUIRE(parsed.status == ParseStatus::Ok);
    CHECK(parsed.query.edns);
    CHECK(parsed.query.udp_limit == kOurEdnsPayload);
    CHECK(parse_query(make_query("a", 1, 1, true, 100)).query.udp_limit == 512);
}

TEST_CASE("dns packet: short packets and responses are dropped, bad questions get FORMERR") {
    CHECK(parse_query(std::vector<uint8_t>{}).status == ParseStatus::Drop);
    CHECK(parse_query(std::vector<uint8_t>(11, 0)).status == ParseStatus::Drop);
    auto response = make_query("a", 1);
    response[2] |= 0x80;
    CHECK(parse_query(response).status == ParseStatus::Drop);

    auto two_questions = make_query("a", 1);
    two_questions[5] = 2;
    CHECK(parse_query(two_questions).status == ParseStatus::FormErr);

    auto truncated = make_query("abc.def", 1);
    for (size_t size = 12; size < truncated.size(); ++size) {
        std::vector<uint8_t> cut(truncated.begin(), truncated.begin() + static_cast<long>(size));
        CHECK(parse_query(cut).status == ParseStatus::FormErr);
    }
    auto notify = make_query("a", 1);
    notify[2] = 0x20;  // opcode 4
    CHECK(parse_query(notify).status == ParseStatus::NotImp);
}

TEST_CASE("dns packet: compression loops and forward pointers are refused") {
    // A name that points at itself.
    std::vector<uint8_t> self = {0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1};
    CHECK(parse_query(self).status == ParseStatus::FormErr);
    // Two labels pointing at each other (the second forward).
    std::vector<uint8_t> pair = {0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 14, 0xc0, 12, 0, 1, 0, 1};
    CHECK(parse_query(pair).status == ParseStatus::FormErr);
    size_t offset = 12;
    CHECK_FALSE(read_name(pair, offset));
    // A pointer past the end.
    std::vector<uint8_t> far = {0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 1, 0, 1};
    CHECK(parse_query(far).status == ParseStatus::FormErr);
    // Obsolete label types.
    std::vector<uint8_t> extended = {0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x41, 0, 0, 1, 0, 1};
    CHECK(parse_query(extended).status == ParseStatus::FormErr);
}

TEST_CASE("dns packet: a backward pointer is followed and the reply re-encodes the question") {
    // Header, then "x" at 12, then a question whose name is "a" + pointer to "x".
    std::vector<uint8_t> message = {0, 9, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0};
    size_t offset = 12;
    std::vector<uint8_t> name = {1, 'A', 1, 'x', 0};
    message.insert(message.end(), name.begin(), name.end());
    CHECK(read_name(message, offset) == std::optional<std::string>("a.x"));
    CHECK(offset == message.size());
    std::vector<uint8_t> pointed = {1, 'b', 0xc0, 14};
    offset = message.size();
    message.insert(message.end(), pointed.begin(), pointed.end());
    CHECK(read_name(message, offset) == std::optional<std::string>("b.x"));
    CHECK(offset == message.size());
}

TEST_CASE("dns packet: names longer than 255 bytes or labels over 63 are refused") {
    std::string long_label(64, 'a');
    CHECK_FALSE(encode_name(long_label));
    std::string long_name;
    for (int i = 0; i < 60; ++i) long_name += "abcd.";
    CHECK_FALSE(encode_name(long_name));
    // On the wire: 5 labels of 63 bytes.
    std::vector<uint8_t> message = {0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0};
    for (int i = 0; i < 5; ++i) {
        message.push_back(63);
        message.insert(message.end(), 63, 'a');
    }
    message.insert(message.end(), {0, 0, 1, 0, 1});
    CHECK(parse_query(message).status == ParseStatus::FormErr);
}

TEST_CASE("dns packet: a dot inside a label never equals a local dotted name") {
    std::vector<uint8_t> message = {0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 'a', '.', 'b', 0, 0, 1, 0, 1};
    ParseResult parsed = parse_query(message);
    REQUIRE(parsed.status == ParseStatus::Ok);
    CHECK(parsed.query.question.name != "a.b");
}

TEST_CASE("dns packet: random garbage never crashes the reader", "[fuzz]") {
    std::mt19937 random(42);
    auto valid = make_query("service.example", 1, 7, true);
    for (int round = 0; round < 20000; ++round) {
        std::vector<uint8_t> message;
        if (round % 2 == 0) {
            message.resize(random() % 80);
            for (auto& byte : message) byte = static_cast<uint8_t>(random());
            if (message.size() > 4) {
                message[2] &= 0x7f;
                message[4] = 0;
                message[5] = 1;
            }
        } else {
            message = valid;
            for (int flips = 0; flips < 4; ++flips) message[random() % message.size()] = static_cast<uint8_t>(random());
            message.resize(random() % (message.size() + 1));
        }
        ParseResult parsed = parse_query(message);
        if (parsed.status == ParseStatus::Ok) {
            auto reply = build_reply(parsed.query, Rcode::NoError, {}, 512, true);
            CHECK(reply.size() >= 12);
        }
    }
}

TEST_CASE("dns packet: a reply echoes id, RD and question and carries its answers") {
    ParseResult parsed = parse_query(make_query("web", 1, 0xbeef));
    REQUIRE(parsed.status == ParseStatus::Ok);
    std::vector<Answer> answers = {{RecordType::A, 0, {10, 202, 0, 2}, {}}, {RecordType::A, 0, {10, 202, 0, 3}, {}}};
    auto reply = build_reply(parsed.query, Rcode::NoError, answers, 512, true);
    CHECK(field(reply, 0) == 0xbeef);
    uint16_t flags = field(reply, 2);
    CHECK((flags & 0x8000) != 0);  // QR
    CHECK((flags & 0x0400) != 0);  // AA
    CHECK((flags & 0x0100) != 0);  // RD echoed
    CHECK((flags & 0x0200) == 0);  // not truncated
    CHECK((flags & 0xf) == 0);
    CHECK(field(reply, 4) == 1);
    CHECK(field(reply, 6) == 2);
    size_t question_end = 12 + parsed.query.question_wire.size();
    CHECK(std::vector<uint8_t>(reply.begin() + 12, reply.begin() + static_cast<long>(question_end)) ==
          parsed.query.question_wire);
    // First answer: pointer to the name, type A, class IN, ttl 0, 4 bytes.
    CHECK(field(reply, question_end) == 0xc00c);
    CHECK(field(reply, question_end + 2) == 1);
    CHECK(field(reply, question_end + 10) == 4);
    CHECK(reply[question_end + 12] == 10);
    CHECK(reply.size() == question_end + 2 * 16);
}

TEST_CASE("dns packet: answers that do not fit are left out and TC is set") {
    ParseResult parsed = parse_query(make_query("many", 1));
    REQUIRE(parsed.status == ParseStatus::Ok);
    std::vector<Answer> answers(100, Answer{RecordType::A, 0, {10, 202, 0, 9}, {}});
    auto reply = build_reply(parsed.query, Rcode::NoError, answers, 512, true);
    CHECK(reply.size() <= 512);
    CHECK((field(reply, 2) & 0x0200) != 0);
    CHECK(field(reply, 6) == (512 - 12 - parsed.query.question_wire.size()) / 16);
    auto over_tcp = build_reply(parsed.query, Rcode::NoError, answers, kMaxMessage, true);
    CHECK(field(over_tcp, 6) == 100);
    CHECK((field(over_tcp, 2) & 0x0200) == 0);
}

TEST_CASE("dns packet: an EDNS query gets an OPT record back") {
    ParseResult parsed = parse_query(make_query("a", 1, 1, true));
    auto reply = build_reply(parsed.query, Rcode::NoError, {}, parsed.query.udp_limit, true);
    CHECK(field(reply, 10) == 1);
    CHECK(field(reply, reply.size() - 10) == 41);
}

TEST_CASE("dns packet: PTR answers carry the target name; header errors have no question") {
    ParseResult parsed = parse_query(make_query("2.0.202.10.in-addr.arpa", 12));
    REQUIRE(parsed.status == ParseStatus::Ok);
    auto reply = build_reply(parsed.query, Rcode::NoError, {{RecordType::PTR, 0, {}, "web-1"}}, 512, true);
    std::vector<uint8_t> target = {5, 'w', 'e', 'b', '-', '1', 0};
    CHECK(std::vector<uint8_t>(reply.end() - 7, reply.end()) == target);
    auto error = build_header_error(77, 0x0100, Rcode::FormErr);
    CHECK(error.size() == 12);
    CHECK(field(error, 0) == 77);
    CHECK((field(error, 2) & 0xf) == 1);
}

TEST_CASE("dns packet: reverse names for IPv4 and IPv6") {
    CHECK(reverse_name("10.202.0.2") == "2.0.202.10.in-addr.arpa");
    CHECK(reverse_name("fd00::1") ==
          "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa");
    CHECK(reverse_name("nonsense").empty());
}
