// Tests for engine/image/reference: Docker-style normalisation of image names.
#include <catch2/catch.hpp>

#include "engine/image/reference.h"

using namespace hako::image;

TEST_CASE("reference: a bare name is docker.io/library/NAME:latest") {
    auto r = parse_reference_with_default_tag("busybox");
    REQUIRE(r.ok());
    CHECK(r->str() == "docker.io/library/busybox:latest");
    CHECK(r->familiar() == "busybox:latest");
    CHECK(r->familiar_name() == "busybox");
}

TEST_CASE("reference: user repositories, registries with ports and digests") {
    CHECK(parse_reference_with_default_tag("user/app:1.0")->str() == "docker.io/user/app:1.0");
    CHECK(parse_reference_with_default_tag("user/app:1.0")->familiar() == "user/app:1.0");
    auto local = parse_reference_with_default_tag("localhost:5000/team/app");
    REQUIRE(local.ok());
    CHECK(local->domain == "localhost:5000");
    CHECK(local->path == "team/app");
    CHECK(local->tag == "latest");
    CHECK(local->familiar() == "localhost:5000/team/app:latest");
    CHECK(parse_reference("ghcr.io/o/r")->domain == "ghcr.io");
    CHECK(parse_reference("index.docker.io/library/alpine:3")->str() == "docker.io/library/alpine:3");
    std::string digest = "sha256:" + std::string(64, 'a');
    auto d = parse_reference_with_default_tag("busybox@" + digest);
    REQUIRE(d.ok());
    CHECK(d->tag.empty());
    CHECK(d->digest == digest);
    CHECK(parse_reference("busybox:1@" + digest)->str() == "docker.io/library/busybox:1@" + digest);
}

TEST_CASE("reference: bad names are refused with a message") {
    CHECK_FALSE(parse_reference("").ok());
    auto upper = parse_reference("BusyBox");
    REQUIRE_FALSE(upper.ok());
    CHECK(upper.error().message.find("lowercase") != std::string::npos);
    CHECK_FALSE(parse_reference("busybox:").ok());
    CHECK_FALSE(parse_reference("busybox:-bad").ok());
    CHECK_FALSE(parse_reference("a//b").ok());
    CHECK_FALSE(parse_reference("a/-b").ok());
    CHECK_FALSE(parse_reference("busybox@sha256:abc").ok());
    CHECK_FALSE(parse_reference("busybox:" + std::string(129, 't')).ok());
    CHECK(parse_reference("a_b.c-d__e").ok());
    CHECK_FALSE(parse_reference("a___b").ok());
}

TEST_CASE("reference: familiar names drop docker.io and library only") {
    CHECK(familiar_name("docker.io/library/busybox") == "busybox");
    CHECK(familiar_name("docker.io/user/app") == "user/app");
    CHECK(familiar_name("docker.io/library/a/b") == "library/a/b");
    CHECK(familiar_name("quay.io/library/x") == "quay.io/library/x");
}
