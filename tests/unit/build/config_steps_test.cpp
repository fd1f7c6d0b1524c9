// Tests of the config-only Dockerfile instructions (engine/build/config_steps.cpp).
#include <catch2/catch.hpp>

#include "engine/build/config_steps.h"

using namespace hako::build;
using hako::image::ImageConfig;

namespace {
Instruction one(const std::string& line) {
    auto df = parse_dockerfile("FROM x\n" + line + "\n");
    if (!df.ok()) FAIL(df.error().message);
    return df->instructions.at(1);
}
void apply(ImageConfig& image, const std::string& line, const Environment& env = {}) {
    StageFlags flags;
    auto r = apply_config_step(one(line), image, env, '\\', flags);
    if (!r.ok()) FAIL(r.error().message);
}
std::string apply_error(const std::string& line) {
    ImageConfig image;
    StageFlags flags;
    auto r = apply_config_step(one(line), image, {}, '\\', flags);
    REQUIRE_FALSE(r.ok());
    return r.error().message;
}
}  // namespace

TEST_CASE("config steps: ENV uses the environment from before the instruction") {
    ImageConfig image;
    Environment env = {{"A", "old"}};
    apply(image, "ENV A=new B=$A C=\"x y\"", env);
    CHECK(image.config.env == std::vector<std::string>{"A=new", "B=old", "C=x y"});
    apply(image, "ENV D value with spaces");
    CHECK(image.config.env.back() == "D=value with spaces");
}

TEST_CASE("config steps: shell-form CMD and ENTRYPOINT use SHELL; ENTRYPOINT drops the base CMD") {
    ImageConfig image;
    image.config.cmd = std::vector<std::string>{"base"};
    StageFlags flags;
    REQUIRE(apply_config_step(one("SHELL [\"/bin/bash\", \"-c\"]"), image, {}, '\\', flags).ok());
    REQUIRE(apply_config_step(one("ENTRYPOINT run me"), image, {}, '\\', flags).ok());
    CHECK(*image.config.entrypoint == std::vector<std::string>{"/bin/bash", "-c", "run me"});
    CHECK_FALSE(image.config.cmd.has_value());
    REQUIRE(apply_config_step(one("CMD [\"a\"]"), image, {}, '\\', flags).ok());
    REQUIRE(apply_config_step(one("ENTRYPOINT [\"e\"]"), image, {}, '\\', flags).ok());
    CHECK(*image.config.cmd == std::vector<std::string>{"a"});  // CMD of this stage survives
}

TEST_CASE("config steps: EXPOSE normalises ports and ranges, refuses bad ones") {
    ImageConfig image;
    apply(image, "EXPOSE 80 53/UDP 8000-8002/tcp $P", {{"P", "9000"}});
    CHECK(image.config.exposed_ports ==
          std::set<std::string>{"53/udp", "80/tcp", "8000/tcp", "8001/tcp", "8002/tcp", "9000/tcp"});
    CHECK(apply_error("EXPOSE 70000").find("bad port") != std::string::npos);
    CHECK(apply_error("EXPOSE 80/xyz").find("bad protocol") != std::string::npos);
    CHECK(apply_error("EXPOSE 90-80").find("bad port range") != std::string::npos);
}

TEST_CASE("config steps: WORKDIR joins relative paths and cleans them") {
    ImageConfig image;
    apply(image, "WORKDIR /a");
    apply(image, "WORKDIR b/./c/..");
    CHECK(image.config.working_dir == "/a/b");
    CHECK(join_workdir("", "x") == "/x");
    CHECK(join_workdir("/a", "/../..") == "/");
}

TEST_CASE("config steps: LABEL, VOLUME, USER, STOPSIGNAL, MAINTAINER, ONBUILD") {
    ImageConfig image;
    apply(image, "LABEL a=1 \"b c\"=\"d e\"");
    CHECK(image.config.labels.at("b c") == "d e");
    apply(image, "VOLUME [\"/v1\", \"/v2\"]");
    apply(image, "VOLUME /v3 /v4");
    CHECK(image.config.volumes.size() == 4);
    apply(image, "USER ${U:-app}:grp");
    CHECK(image.config.user == "app:grp");
    apply(image, "STOPSIGNAL SIGQUIT");
    CHECK(image.config.stop_signal == "SIGQUIT");
    apply(image, "STOPSIGNAL 9");
    CHECK(apply_error("STOPSIGNAL SIGNOPE").find("unknown signal") != std::string::npos);
    apply(image, "MAINTAINER Jane <j@x>");
    CHECK(image.author == "Jane <j@x>");
    apply(image, "ONBUILD RUN make");
    CHECK(image.config.on_build == std::vector<std::string>{"RUN make"});
}

TEST_CASE("config steps: HEALTHCHECK exec and shell forms, flags, NONE") {
    ImageConfig image;
    apply(image, "HEALTHCHECK --interval=10s --timeout=1s --start-period=1m --start-interval=2s --retries=5 CMD curl -f x");
    REQUIRE(image.config.healthcheck);
    CHECK(image.config.healthcheck->test == std::vector<std::string>{"CMD-SHELL", "curl -f x"});
    CHECK(image.config.healthcheck->interval_ns == 10000000000LL);
    CHECK(image.config.healthcheck->timeout_ns == 1000000000LL);
    CHECK(image.config.healthcheck->start_period_ns == 60000000000LL);
    CHECK(image.config.healthcheck->start_interval_ns == 2000000000LL);
    CHECK(image.config.healthcheck->retries == 5);
    apply(image, "HEALTHCHECK CMD [\"true\"]");
    CHECK(image.config.healthcheck->test == std::vector<std::string>{"CMD", "true"});
    apply(image, "HEALTHCHECK NONE");
    CHECK(image.config.healthcheck->test == std::vector<std::string>{"NONE"});
}

TEST_CASE("config steps: command_vector keeps the exec form and wraps the shell form") {
    CHECK(command_vector(one("CMD [\"a\", \"b\"]"), {}) == std::vector<std::string>{"a", "b"});
    CHECK(command_vector(one("CMD echo $HOME"), {}) == std::vector<std::string>{"/bin/sh", "-c", "echo $HOME"});
}
