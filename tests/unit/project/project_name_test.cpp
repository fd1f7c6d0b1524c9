#include <catch2/catch.hpp>

#include "src/project/project_name.h"

using namespace hako::project;

TEST_CASE("project name: folder names are normalised") {
    CHECK(normalize_project_name("My App_1") == "myapp_1");
    CHECK(normalize_project_name("__x-Y") == "x-y");
    CHECK(normalize_project_name("-_.") == "");
    CHECK(normalize_project_name("café") == "caf");
}

TEST_CASE("project name: validity is ^[a-z0-9][a-z0-9_-]*$") {
    CHECK(is_valid_project_name("web-1_a"));
    CHECK(is_valid_project_name("1abc"));
    CHECK_FALSE(is_valid_project_name(""));
    CHECK_FALSE(is_valid_project_name("_web"));
    CHECK_FALSE(is_valid_project_name("Web"));
    CHECK_FALSE(is_valid_project_name("a.b"));
}

TEST_CASE("project name: -p, then COMPOSE_PROJECT_NAME, then name:, then the folder") {
    ProjectNameSources s;
    s.project_dir = "/srv/My_Shop";
    CHECK(resolve_project_name(s).value() == "my_shop");
    s.file_name = "fromfile";
    CHECK(resolve_project_name(s).value() == "fromfile");
    s.environment = "fromenv";
    CHECK(resolve_project_name(s).value() == "fromenv");
    s.flag = "fromflag";
    CHECK(resolve_project_name(s).value() == "fromflag");
}

TEST_CASE("project name: an empty source is skipped") {
    ProjectNameSources s;
    s.project_dir = "/srv/app/";
    s.environment = "";
    s.file_name = "";
    CHECK(resolve_project_name(s).value() == "app");
}

TEST_CASE("project name: an invalid explicit name is an error saying where it came from") {
    ProjectNameSources s;
    s.project_dir = "/srv/app";
    s.flag = "Bad Name";
    auto r = resolve_project_name(s);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.rfind("-p/--project-name: invalid project name \"Bad Name\"", 0) == 0);

    s.flag.reset();
    s.environment = "_x";
    CHECK(resolve_project_name(s).error().message.rfind("COMPOSE_PROJECT_NAME: invalid", 0) == 0);

    s.environment.reset();
    s.file_name = "My_Project";
    s.file_name_mark = Mark{std::make_shared<const std::string>("compose.yaml"), 1, 7};
    CHECK(resolve_project_name(s).error().message.rfind("compose.yaml:1:7: name: invalid project name", 0) == 0);
}

TEST_CASE("project name: a folder with no usable character is an error") {
    ProjectNameSources s;
    s.project_dir = "/srv/___";
    auto r = resolve_project_name(s);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("must not be empty") != std::string::npos);
}
