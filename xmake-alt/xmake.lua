-- hako for xmake users: the same build as the top-level CMakeLists.txt (the
-- reference build; keep the two in step). Every dependency comes from Debian
-- packages (scripts/install-deps.sh), found through pkg-config or the system,
-- never downloaded.
--
--   cd xmake-alt && xmake f -m releasedbg && xmake && xmake run hako --help
--   xmake f --sanitize=y     # AddressSanitizer + UndefinedBehaviorSanitizer
--   xmake test               # unit tests (one binary per module)

set_project("hako")
set_version("0.1.0")
set_xmakever("2.7.0")
set_languages("gnuxx20")  -- TRY uses GNU statement expressions
add_rules("mode.debug", "mode.release", "mode.releasedbg")
set_defaultmode("releasedbg")

option("sanitize")
    set_default(false)
    set_showmenu(true)
    set_description("Build with AddressSanitizer and UndefinedBehaviorSanitizer")
option_end()

if has_config("sanitize") then
    add_cxflags("-fsanitize=address,undefined", "-fno-omit-frame-pointer")
    add_ldflags("-fsanitize=address,undefined")
end

-- System packages only ({system = true}): pkg-config where Debian ships a .pc
-- file, xmake's own system lookup for the header-only and Boost libraries.
local system = {system = true}
add_requires("pkgconfig::yaml-cpp", system)
add_requires("pkgconfig::nlohmann_json", system)
add_requires("pkgconfig::CLI11", system)
-- spdlog and fmt are compiled in header-only from /usr/include (hako_engine defines
-- FMT_HEADER_ONLY): linked shared they brought libstdc++.so back into every process.
add_requires("pkgconfig::libcrypto", system)
add_requires("pkgconfig::libcurl", system)  -- hako-fetch only
add_requires("pkgconfig::libarchive", system)
add_requires("pkgconfig::libnl-3.0", system)
add_requires("pkgconfig::libnl-route-3.0", system)
add_requires("pkgconfig::libseccomp", system)
add_requires("pkgconfig::catch2", system)
add_requires("valijson", system)
add_requires("boost", {system = true, configs = {graph = true, filesystem = true}})

local root = path.join(os.scriptdir(), "..")
local warnings = {"-Wall", "-Wextra", "-Werror", "-Wno-missing-field-initializers"}

-- hako and hako-exit linked with lld, their hot functions first (CMakeLists.txt:
-- HAKO_LINK_ORDER; the order is scripts/hako-link-order.txt): each function in a
-- section of its own, which lld lays out in that order.
option("link_order")
    set_default(true)
    set_showmenu(true)
    set_description("Link hako and hako-exit with lld, their hot functions first")
option_end()
local link_order = has_config("link_order") and not has_config("sanitize") and os.isfile("/usr/bin/ld.lld")
if link_order then
    add_cxflags("-ffunction-sections")
end
local function link_in_order()
    if link_order then
        add_ldflags("-fuse-ld=lld", "-Wl,--symbol-ordering-file=" .. path.join(root, "scripts/hako-link-order.txt"),
                    "-Wl,--no-warn-symbol-ordering")
        -- the entry that maps the hot text and the data first (engine/sys/prefault.cpp)
        if is_arch("x86_64") then
            add_ldflags("-Wl,-e,hako_entry")
        end
    end
end

-- Our libraries see the repository root and the generated sources.
local function hako_library(name)
    target(name)
        set_kind("static")
        add_includedirs(root, {public = true})
        add_cxxflags(table.unpack(warnings))
end

-- engine: the embedded container engine (knows nothing of Compose)
hako_library("hako_engine")
    add_files(path.join(root, "engine/**.cpp"))
    add_packages("pkgconfig::nlohmann_json", "pkgconfig::libcrypto",
                 "pkgconfig::libarchive", "pkgconfig::libnl-3.0", "pkgconfig::libnl-route-3.0",
                 "pkgconfig::libseccomp", {public = true})
    -- spdlog and fmt header-only (see above): no library to link.
    add_defines("SPDLOG_FMT_EXTERNAL", "FMT_HEADER_ONLY=1", {public = true})
    -- HTTP (registry pulls, ADD <url>) runs in hako-fetch (engine/sys/http.h): no
    -- libcurl here.
    add_deps("hako_engine_c")
    add_syslinks("pthread", "dl")
    add_ldflags("-Wl,--gc-sections", {public = true})
target_end()

-- src/project: compose files → Project, with schema/compose.schema.json
-- embedded as hako::compose_schema_json (what scripts/embed.cmake does).
hako_library("hako_project")
    add_deps("hako_engine")
    add_files(path.join(root, "src/project/*.cpp"))
    add_packages("pkgconfig::yaml-cpp", "valijson", "pkgconfig::nlohmann_json", "pkgconfig::libcrypto",
                 {public = true})
    -- Generated at configure time, before the target's files are batched.
    on_config(function (target)
        local input = path.join(target:scriptdir(), "..", "schema/compose.schema.json")
        local output = path.join(target:autogendir(), "compose_schema.cpp")
        local content = io.readfile(input)
        local chunks = {}
        for pos = 1, #content, 8000 do
            table.insert(chunks, "R\"hako_embed(" .. content:sub(pos, pos + 7999) .. ")hako_embed\"\n")
        end
        io.writefile(output, "// Generated from " .. input .. "; do not edit.\n#include <string_view>\n" ..
                     "namespace hako {\nextern const std::string_view compose_schema_json;\n" ..
                     "const std::string_view compose_schema_json =\n" .. table.concat(chunks) .. ";\n}\n")
        target:add("files", output)
    end)
target_end()

-- src/graph: services, networks and volumes as a Boost.Graph
hako_library("hako_graph")
    add_deps("hako_project")
    add_files(path.join(root, "src/graph/*.cpp"))
    add_packages("boost", {public = true})
target_end()

-- src/reconcile: observe → plan → execute for a Compose project
hako_library("hako_reconcile")
    add_deps("hako_graph", "hako_project", "hako_engine")
    add_files(path.join(root, "src/reconcile/*.cpp"))
target_end()

-- src/exitpath: the monitor's hidden verbs (exit path and probes), shared by hako and hako-exit
hako_library("hako_exitpath")
    add_deps("hako_engine")
    add_files(path.join(root, "src/exitpath/*.cpp"))
    remove_files(path.join(root, "src/exitpath/main.cpp"))
target_end()

-- src/cli: verbs and output
hako_library("hako_cli")
    add_deps("hako_exitpath", "hako_reconcile", "hako_graph", "hako_project", "hako_engine")
    add_files(path.join(root, "src/cli/*.cpp"))
    remove_files(path.join(root, "src/cli/main.cpp"))
    add_packages("pkgconfig::CLI11", {public = true})
    add_defines("HAKO_VERSION=\"0.1.0\"")
target_end()

target("hako")
    set_kind("binary")
    add_deps("hako_cli")
    add_files(path.join(root, "src/cli/main.cpp"))
    add_cxxflags(table.unpack(warnings))
    add_ldflags("-static-libstdc++", "-static-libgcc")
    if link_order then
        link_in_order()
    else
        -- relative relocations as a DT_RELR bitmap (GNU ld: binutils 2.38+, glibc 2.36+)
        add_ldflags("-Wl,-z,pack-relative-relocs")
    end
target_end()

-- hako-fetch: hako's HTTP helper, linked to libcurl; hako looks for it beside itself
target("hako-fetch")
    set_kind("binary")
    add_files(path.join(root, "src/fetch/main.cpp"))
    add_includedirs(root)
    add_packages("pkgconfig::libcurl", "pkgconfig::nlohmann_json")
    add_cxxflags(table.unpack(warnings))
target_end()

-- hako-exit: the exit path and probes without the CLI, the loader or the graph
target("hako-exit")
    set_kind("binary")
    add_deps("hako_exitpath")
    add_files(path.join(root, "src/exitpath/main.cpp"))
    add_cxxflags(table.unpack(warnings))
    add_ldflags("-static", "-no-pie", "-static-libstdc++", "-static-libgcc")
    link_in_order()
target_end()

-- hako-init: the tiny init of `container run --init`, static and apart from hako
target("hako-init")
    set_kind("binary")
    add_files(path.join(root, "engine/monitor/hako_init.c"))
    add_cflags("-Wall", "-Wextra", "-Werror", "-Os")
    add_ldflags("-static")
target_end()

-- hako-monitor: a running container's monitor once it is set up (monitor.cpp execs
-- it), static C. The C parts it shares with the engine (its log writer, the tree
-- removal, a --rm container's retired folder) are a library the engine links.
local engine_c_sources = {"engine/monitor/monitor_log.c", "engine/sys/tree_removal.c",
                          "engine/container/retired_folder.c"}
target("hako_engine_c")
    set_kind("static")
    for _, file in ipairs(engine_c_sources) do add_files(path.join(root, file)) end
    add_includedirs(root, {public = true})
    add_cflags("-Wall", "-Wextra", "-Werror", "-Os")
target_end()

target("hako-monitor")
    set_kind("binary")
    add_deps("hako_engine_c")
    add_files(path.join(root, "engine/monitor/hako_monitor.c"))
    add_cflags("-Wall", "-Wextra", "-Werror", "-Os")
    add_ldflags("-static")
target_end()

-- Unit tests: one Catch2 v2 binary per module, tests/unit/<module> mirrors src/.
for _, module in ipairs({"engine", "project", "graph", "cli", "build", "reconcile"}) do
    local deps = {engine = "hako_engine", project = "hako_project", graph = "hako_graph", cli = "hako_cli",
                  build = "hako_engine", reconcile = "hako_reconcile"}
    target("hako_" .. module .. "_tests")
        set_kind("binary")
        set_default(false)
        add_deps(deps[module])
        add_files(path.join(root, "tests/unit/common/main.cpp"), path.join(root, "tests/unit", module, "**.cpp"))
        add_packages("pkgconfig::catch2")
        add_cxxflags(table.unpack(warnings))
        add_defines("HAKO_TEST_DATA=\"" .. path.join(root, "tests/data") .. "\"",
                    "HAKO_SOURCE_DIR=\"" .. root .. "\"")
        add_tests("default")
    target_end()
end
