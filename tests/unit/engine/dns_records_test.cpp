// Tests of the responder's records (engine/net/dns_records.cpp) on a hand-written
// ROOT/networks tree.
#include <arpa/inet.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <set>

#include "engine/net/dns_records.h"
#include "engine/sys/tempdir.h"

using namespace hako::dns;
namespace fs = std::filesystem;

namespace {

void write(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
}

struct Tree {
    fs::path root;
    explicit Tree(const fs::path& dir) : root(dir) {
        write(root / "networks/n1/network.json",
              R"({"id":"n1","name":"p_default","driver":"bridge","bridge":"hk-n1","internal":false,"enable_ipv6":false,
                  "subnets":[{"subnet":"10.202.10.0/24","gateway":"10.202.10.1","ip_range":""}],"labels":{},"options":{},"created":""})");
        write(root / "networks/n1/endpoints/c1.json",
              R"({"container_id":"c1aaaaaaaaaaaaaaaaaa","container_name":"p-web-1","names":["web","p-web-1","Alias1"],"ipv4":"10.202.10.2","ipv6":"","mac":""})");
        write(root / "networks/n1/endpoints/c2.json",
              R"({"container_id":"c2bbbbbbbbbbbbbbbbbb","container_name":"p-web-2","names":["web"],"ipv4":"10.202.10.3/24","ipv6":"fd00::3","mac":""})");
        write(root / "networks/n1/endpoints/broken.json", "{not json");
        write(root / "networks/n2/network.json",
              R"({"id":"n2","name":"p_back","driver":"bridge","internal":true,
                  "subnets":[{"subnet":"10.202.11.0/24","gateway":"10.202.11.1"}]})");
        write(root / "networks/n2/endpoints/c3.json",
              R"({"container_id":"c3","container_name":"p-db-1","names":["db"],"ipv4":"10.202.11.2"})");
        write(root / "networks/h/network.json", R"({"id":"h","name":"host","driver":"host","subnets":[]})");
    }
};

Question ask(const std::string& name, RecordType type) { return Question{name, static_cast<uint16_t>(type), 1}; }

std::set<std::string> addresses(const LocalAnswer& answer) {
    std::set<std::string> out;
    for (const Answer& a : answer.answers) {
        char text[INET6_ADDRSTRLEN];
        inet_ntop(a.rdata.size() == 4 ? AF_INET : AF_INET6, a.rdata.data(), text, sizeof text);
        out.insert(text);
    }
    return out;
}

const NetworkRecords& by_id(const std::vector<NetworkRecords>& networks, const std::string& id) {
    for (const auto& n : networks)
        if (n.id == id) return n;
    FAIL("no network " << id);
    throw 0;
}

bool knows(const NetworkRecords& network, const std::string& name) {
    std::mt19937 random(1);
    return lookup(network, Question{name, static_cast<uint16_t>(RecordType::A), 1}, random).known;
}

}  // namespace

TEST_CASE("dns records: bridge networks are read, a broken endpoint file is skipped and reported") {
    auto dir = hako::sys::TempDir::create(fs::temp_directory_path(), "hako-dns-records");
    REQUIRE(dir.ok());
    Tree tree(dir->path());
    std::vector<std::string> problems;
    auto networks = load_networks(tree.root, &problems);
    REQUIRE(networks.size() == 2);
    CHECK(problems.size() == 1);
    const auto& n1 = by_id(networks, "n1");
    CHECK_FALSE(n1.internal);
    REQUIRE(n1.gateways.size() == 1);
    CHECK(n1.gateways[0] == *IpAddress::parse("10.202.10.1"));
    CHECK(n1.contains(*IpAddress::parse("10.202.10.77")));
    CHECK_FALSE(n1.contains(*IpAddress::parse("10.202.11.2")));
    CHECK(by_id(networks, "n2").internal);
    CHECK(any_bridge_network(tree.root));
}

TEST_CASE("dns records: a service name answers every replica, shuffled; names are case-insensitive") {
    auto dir = hako::sys::TempDir::create(fs::temp_directory_path(), "hako-dns-records");
    REQUIRE(dir.ok());
    Tree tree(dir->path());
    auto networks = load_networks(tree.root);
    const auto& n1 = by_id(networks, "n1");
    std::mt19937 random(1);
    auto web = lookup(n1, ask("web", RecordType::A), random);
    CHECK(web.known);
    CHECK(addresses(web) == std::set<std::string>{"10.202.10.2", "10.202.10.3"});
    std::set<std::string> firsts;
    for (int i = 0; i < 50; ++i) {
        auto again = lookup(n1, ask("web", RecordType::A), random);
        char text[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, again.answers.front().rdata.data(), text, sizeof text);
        firsts.insert(text);
    }
    CHECK(firsts.size() == 2);
    CHECK(addresses(lookup(n1, ask("alias1", RecordType::A), random)) == std::set<std::string>{"10.202.10.2"});
    CHECK(addresses(lookup(n1, ask("p-web-2", RecordType::A), random)) == std::set<std::string>{"10.202.10.3"});
    CHECK(addresses(lookup(n1, ask("c1aaaaaaaaaa", RecordType::A), random)) == std::set<std::string>{"10.202.10.2"});
    CHECK(lookup(n1, ask("web", RecordType::A), random).answers.front().ttl == kLocalTtl);
}

TEST_CASE("dns records: AAAA of a name without IPv6 is known and empty; with IPv6 it answers") {
    auto dir = hako::sys::TempDir::create(fs::temp_directory_path(), "hako-dns-records");
    REQUIRE(dir.ok());
    Tree tree(dir->path());
    auto networks = load_networks(tree.root);
    const auto& n1 = by_id(networks, "n1");
    std::mt19937 random(1);
    auto web1 = lookup(n1, ask("p-web-1", RecordType::AAAA), random);
    CHECK(web1.known);
    CHECK(web1.answers.empty());
    CHECK(addresses(lookup(n1, ask("p-web-2", RecordType::AAAA), random)) == std::set<std::string>{"fd00::3"});
    auto mx = lookup(n1, Question{"web", 15, 1}, random);
    CHECK(mx.known);
    CHECK(mx.answers.empty());
}

TEST_CASE("dns records: PTR answers the container name; other networks' names are unknown") {
    auto dir = hako::sys::TempDir::create(fs::temp_directory_path(), "hako-dns-records");
    REQUIRE(dir.ok());
    Tree tree(dir->path());
    auto networks = load_networks(tree.root);
    const auto& n1 = by_id(networks, "n1");
    std::mt19937 random(1);
    auto ptr = lookup(n1, ask("2.10.202.10.in-addr.arpa", RecordType::PTR), random);
    REQUIRE(ptr.answers.size() == 1);
    CHECK(ptr.answers[0].target == "p-web-1");
    CHECK(lookup(n1, ask(reverse_name("fd00::3"), RecordType::PTR), random).answers.at(0).target == "p-web-2");
    CHECK_FALSE(lookup(n1, ask("db", RecordType::A), random).known);
    CHECK_FALSE(lookup(n1, ask("2.11.202.10.in-addr.arpa", RecordType::PTR), random).known);
    CHECK_FALSE(lookup(n1, ask("example.com", RecordType::A), random).known);
    CHECK_FALSE(lookup(n1, Question{"web", 1, 3}, random).known);  // class CH
}

TEST_CASE("dns records: no networks folder or only host networks means no responder") {
    auto dir = hako::sys::TempDir::create(fs::temp_directory_path(), "hako-dns-records");
    REQUIRE(dir.ok());
    CHECK_FALSE(any_bridge_network(dir->path()));
    write(dir->path() / "networks/h/network.json", R"({"id":"h","driver":"host","subnets":[]})");
    CHECK_FALSE(any_bridge_network(dir->path()));
    CHECK(load_networks(dir->path()).empty());
}

TEST_CASE("dns records: prefixes contain what they should") {
    auto prefix = Prefix::parse("10.202.0.0/16");
    REQUIRE(prefix);
    CHECK(prefix->contains(*IpAddress::parse("10.202.255.1")));
    CHECK_FALSE(prefix->contains(*IpAddress::parse("10.203.0.1")));
    CHECK(Prefix::parse("10.202.3.0/23")->contains(*IpAddress::parse("10.202.2.9")));
    CHECK_FALSE(Prefix::parse("10.0.0.0/33"));
    CHECK_FALSE(Prefix::parse("10.0.0.0"));
    CHECK_FALSE(Prefix::parse("x/8"));
    CHECK(Prefix::parse("fd00::/64")->contains(*IpAddress::parse("fd00::5")));
    CHECK_FALSE(Prefix::parse("fd00::/64")->contains(*IpAddress::parse("10.0.0.1")));
}

TEST_CASE("dns records: update_endpoint adds a new endpoint's names, forgets a removed one, keeps the others") {
    auto dir = hako::sys::TempDir::create(fs::temp_directory_path(), "hako-dns-update");
    REQUIRE(dir.ok());
    fs::path root = dir->path();
    write(root / "networks/n1/network.json",
          R"({"id":"n1","name":"p_default","driver":"bridge","subnets":[{"subnet":"10.202.12.0/24","gateway":"10.202.12.1"}]})");
    write(root / "networks/n1/endpoints/c1.json",
          R"({"container_id":"c1aaaaaaaaaaaaaaaaaa","container_name":"p-web-1","names":["web"],"ipv4":"10.202.12.2"})");
    auto networks = load_networks(root);
    REQUIRE(networks.size() == 1);
    NetworkRecords& network = networks.front();
    CHECK(knows(network, "web"));
    CHECK_FALSE(knows(network, "db"));

    write(root / "networks/n1/endpoints/c2.json",
          R"({"container_id":"c2bbbbbbbbbbbbbbbbbb","container_name":"p-db-1","names":["db"],"ipv4":"10.202.12.3"})");
    update_endpoint(network, root, "c2.json");
    CHECK(knows(network, "db"));
    CHECK(knows(network, "p-db-1"));
    CHECK(knows(network, "web"));
    CHECK(network.reverse.count("3.12.202.10.in-addr.arpa") == 1);

    // An atomic write's temporary file is not an endpoint.
    write(root / "networks/n1/endpoints/.c3.json.tmp-1", R"({"container_name":"p-tmp-1","ipv4":"10.202.12.4"})");
    update_endpoint(network, root, ".c3.json.tmp-1");
    CHECK_FALSE(knows(network, "p-tmp-1"));

    fs::remove(root / "networks/n1/endpoints/c1.json");
    update_endpoint(network, root, "c1.json");
    CHECK_FALSE(knows(network, "web"));
    CHECK(network.reverse.count("2.12.202.10.in-addr.arpa") == 0);
    CHECK(knows(network, "db"));
}
