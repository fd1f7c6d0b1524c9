// Tests for engine/image/change: --change instructions on container defaults.
#include <catch2/catch.hpp>

#include "engine/image/change.h"

using namespace hako::image;

TEST_CASE("change: CMD and ENTRYPOINT take exec and shell form") {
    ContainerDefaults c;
    REQUIRE(apply_change(c, R"(CMD ["sh", "-c", "echo hi"])").ok());
    CHECK(*c.cmd == std::vector<std::string>{"sh", "-c", "echo hi"});
    REQUIRE(apply_change(c, "entrypoint /bin/run --flag").ok());
    CHECK(*c.entrypoint == std::vector<std::string>{"/bin/sh", "-c", "/bin/run --flag"});
}

TEST_CASE("change: ENV and LABEL accept pairs with quotes and the legacy form") {
    ContainerDefaults c;
    REQUIRE(apply_change(c, R"(ENV A=1 B="two words" C='x y')").ok());
    REQUIRE(apply_change(c, "ENV PATH /usr/bin:/bin").ok());
    REQUIRE(apply_change(c, "ENV A=replaced").ok());
    CHECK(c.env == std::vector<std::string>{"A=replaced", "B=two words", "C=x y", "PATH=/usr/bin:/bin"});
    REQUIRE(apply_change(c, R"(LABEL org.x="a b" y=z)").ok());
    CHECK(c.labels.at("org.x") == "a b");
    CHECK(c.labels.at("y") == "z");
}

TEST_CASE("change: WORKDIR, USER, EXPOSE, VOLUME, STOPSIGNAL") {
    ContainerDefaults c;
    REQUIRE(apply_change(c, "WORKDIR /app").ok());
    REQUIRE(apply_change(c, "WORKDIR sub").ok());
    CHECK(c.working_dir == "/app/sub");
    REQUIRE(apply_change(c, "USER nobody:nogroup").ok());
    CHECK(c.user == "nobody:nogroup");
    REQUIRE(apply_change(c, "EXPOSE 80 53/udp 443/TCP").ok());
    CHECK(c.exposed_ports == std::set<std::string>{"80/tcp", "53/udp", "443/tcp"});
    REQUIRE(apply_change(c, R"(VOLUME ["/data", "/logs"])").ok());
    REQUIRE(apply_change(c, "VOLUME /cache").ok());
    CHECK(c.volumes == std::set<std::string>{"/data", "/logs", "/cache"});
    REQUIRE(apply_change(c, "STOPSIGNAL SIGINT").ok());
    CHECK(c.stop_signal == "SIGINT");
}

TEST_CASE("change: unknown or malformed instructions are usage errors") {
    ContainerDefaults c;
    auto r = apply_change(c, "RUN rm -rf /");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("RUN") != std::string::npos);
    CHECK(r.error().exit_code == hako::ExitCode::Usage);
    CHECK_FALSE(apply_change(c, "EXPOSE 99999").ok());
    CHECK_FALSE(apply_change(c, "EXPOSE 80/icmp").ok());
    CHECK_FALSE(apply_change(c, "ENV").ok());
    CHECK_FALSE(apply_change(c, R"(ENV A="unterminated)").ok());
    CHECK_FALSE(apply_change(c, "LABEL =x").ok());
}
