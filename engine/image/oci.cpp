// This file implements the OCI document conversions of oci.h with nlohmann-json;
// parse errors from the library are caught here and returned as values.
#include "engine/image/oci.h"

#include <sys/utsname.h>

namespace hako::image {

using ojson = nlohmann::ordered_json;
using json = nlohmann::json;

void ContainerDefaults::set_env(const std::string& key, const std::string& value) {
    std::string prefix = key + "=";
    for (auto& e : env) {
        if (e.compare(0, prefix.size(), prefix) == 0 || e == key) {
            e = prefix + value;
            return;
        }
    }
    env.push_back(prefix + value);
}

namespace {

ojson set_to_object(const std::set<std::string>& values) {
    ojson out = ojson::object();
    for (const auto& v : values) out[v] = ojson::object();
    return out;
}

template <typename J>
std::vector<std::string> string_list(const J& j, const char* field) {
    std::vector<std::string> out;
    if (!j.contains(field) || !j[field].is_array()) return out;
    for (const auto& v : j[field]) {
        if (v.is_string()) out.push_back(v.template get<std::string>());
    }
    return out;
}

template <typename J>
std::string string_field(const J& j, const char* field) {
    if (j.contains(field) && j[field].is_string()) return j[field].template get<std::string>();
    return {};
}

template <typename J>
int64_t int_field(const J& j, const char* field) {
    if (j.contains(field) && j[field].is_number_integer()) return j[field].template get<int64_t>();
    return 0;
}

Descriptor parse_descriptor(const json& j) {
    Descriptor d;
    d.media_type = string_field(j, "mediaType");
    d.digest = string_field(j, "digest");
    d.size = int_field(j, "size");
    return d;
}

}  // namespace

ojson to_json(const ContainerDefaults& c) {
    ojson j = ojson::object();
    if (!c.user.empty()) j["User"] = c.user;
    if (!c.exposed_ports.empty()) j["ExposedPorts"] = set_to_object(c.exposed_ports);
    if (!c.env.empty()) j["Env"] = c.env;
    if (c.entrypoint) j["Entrypoint"] = *c.entrypoint;
    if (c.cmd) j["Cmd"] = *c.cmd;
    if (!c.volumes.empty()) j["Volumes"] = set_to_object(c.volumes);
    if (!c.working_dir.empty()) j["WorkingDir"] = c.working_dir;
    if (!c.labels.empty()) j["Labels"] = c.labels;
    if (!c.stop_signal.empty()) j["StopSignal"] = c.stop_signal;
    if (c.healthcheck) {
        ojson h = ojson::object();
        h["Test"] = c.healthcheck->test;
        if (c.healthcheck->interval_ns) h["Interval"] = c.healthcheck->interval_ns;
        if (c.healthcheck->timeout_ns) h["Timeout"] = c.healthcheck->timeout_ns;
        if (c.healthcheck->start_period_ns) h["StartPeriod"] = c.healthcheck->start_period_ns;
        if (c.healthcheck->start_interval_ns) h["StartInterval"] = c.healthcheck->start_interval_ns;
        if (c.healthcheck->retries) h["Retries"] = c.healthcheck->retries;
        j["Healthcheck"] = h;
    }
    if (c.args_escaped) j["ArgsEscaped"] = true;
    if (!c.on_build.empty()) j["OnBuild"] = c.on_build;
    if (!c.shell.empty()) j["Shell"] = c.shell;
    return j;
}

ojson to_json(const ImageConfig& c) {
    ojson j = ojson::object();
    if (!c.created.empty()) j["created"] = c.created;
    if (!c.author.empty()) j["author"] = c.author;
    j["architecture"] = c.architecture;
    j["os"] = c.os;
    if (!c.variant.empty()) j["variant"] = c.variant;
    j["config"] = to_json(c.config);
    j["rootfs"] = ojson{{"type", "layers"}, {"diff_ids", c.diff_ids}};
    ojson history = ojson::array();
    for (const auto& h : c.history) {
        ojson e = ojson::object();
        if (!h.created.empty()) e["created"] = h.created;
        if (!h.created_by.empty()) e["created_by"] = h.created_by;
        if (!h.author.empty()) e["author"] = h.author;
        if (!h.comment.empty()) e["comment"] = h.comment;
        if (h.empty_layer) e["empty_layer"] = true;
        history.push_back(std::move(e));
    }
    j["history"] = std::move(history);
    return j;
}

ojson to_json(const Descriptor& d) {
    return ojson{{"mediaType", d.media_type}, {"digest", d.digest}, {"size", d.size}};
}

ojson to_json(const Manifest& m) {
    ojson j = ojson::object();
    j["schemaVersion"] = 2;
    j["mediaType"] = m.media_type;
    j["config"] = to_json(m.config);
    ojson layers = ojson::array();
    for (const auto& l : m.layers) layers.push_back(to_json(l));
    j["layers"] = std::move(layers);
    return j;
}

std::string serialize(const ImageConfig& config) { return to_json(config).dump(); }
std::string serialize(const Manifest& manifest) { return to_json(manifest).dump(); }

Result<ContainerDefaults> parse_container_defaults(const json& j) {
    ContainerDefaults c;
    if (j.is_null()) return c;
    if (!j.is_object()) return Error("image config: \"config\" is not an object");
    c.user = string_field(j, "User");
    if (j.contains("ExposedPorts") && j["ExposedPorts"].is_object()) {
        for (const auto& [k, v] : j["ExposedPorts"].items()) c.exposed_ports.insert(k);
    }
    c.env = string_list(j, "Env");
    if (j.contains("Entrypoint") && j["Entrypoint"].is_array()) c.entrypoint = string_list(j, "Entrypoint");
    if (j.contains("Cmd") && j["Cmd"].is_array()) c.cmd = string_list(j, "Cmd");
    if (j.contains("Volumes") && j["Volumes"].is_object()) {
        for (const auto& [k, v] : j["Volumes"].items()) c.volumes.insert(k);
    }
    c.working_dir = string_field(j, "WorkingDir");
    if (j.contains("Labels") && j["Labels"].is_object()) {
        for (const auto& [k, v] : j["Labels"].items()) {
            if (v.is_string()) c.labels[k] = v.get<std::string>();
        }
    }
    c.stop_signal = string_field(j, "StopSignal");
    if (j.contains("Healthcheck") && j["Healthcheck"].is_object()) {
        const auto& h = j["Healthcheck"];
        Healthcheck hc;
        hc.test = string_list(h, "Test");
        hc.interval_ns = int_field(h, "Interval");
        hc.timeout_ns = int_field(h, "Timeout");
        hc.start_period_ns = int_field(h, "StartPeriod");
        hc.start_interval_ns = int_field(h, "StartInterval");
        hc.retries = int(int_field(h, "Retries"));
        c.healthcheck = std::move(hc);
    }
    c.args_escaped = j.contains("ArgsEscaped") && j["ArgsEscaped"].is_boolean() && j["ArgsEscaped"].get<bool>();
    c.on_build = string_list(j, "OnBuild");
    c.shell = string_list(j, "Shell");
    return c;
}

Result<ImageConfig> parse_image_config(std::string_view text) {
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return Error("image config: not a JSON object");
    ImageConfig c;
    c.created = string_field(j, "created");
    c.author = string_field(j, "author");
    c.architecture = string_field(j, "architecture");
    c.os = string_field(j, "os");
    c.variant = string_field(j, "variant");
    if (j.contains("config")) c.config = TRY(parse_container_defaults(j["config"]));
    if (j.contains("rootfs") && j["rootfs"].is_object()) c.diff_ids = string_list(j["rootfs"], "diff_ids");
    if (j.contains("history") && j["history"].is_array()) {
        for (const auto& h : j["history"]) {
            if (!h.is_object()) continue;
            HistoryEntry e;
            e.created = string_field(h, "created");
            e.created_by = string_field(h, "created_by");
            e.author = string_field(h, "author");
            e.comment = string_field(h, "comment");
            e.empty_layer = h.contains("empty_layer") && h["empty_layer"].is_boolean() &&
                            h["empty_layer"].get<bool>();
            c.history.push_back(std::move(e));
        }
    }
    return c;
}

Result<Manifest> parse_manifest(std::string_view text) {
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return Error("image manifest: not a JSON object");
    Manifest m;
    m.media_type = string_field(j, "mediaType");
    if (m.media_type.empty()) m.media_type = media_type::kManifest;
    if (m.media_type != media_type::kManifest && m.media_type != media_type::kDockerManifest) {
        return Error("image manifest: unsupported media type \"" + m.media_type + "\"");
    }
    if (!j.contains("config") || !j["config"].is_object()) return Error("image manifest: no config");
    m.config = parse_descriptor(j["config"]);
    if (j.contains("layers") && j["layers"].is_array()) {
        for (const auto& l : j["layers"]) m.layers.push_back(parse_descriptor(l));
    }
    return m;
}

std::string host_architecture() {
    struct utsname u {};
    ::uname(&u);
    std::string m = u.machine;
    if (m == "x86_64") return "amd64";
    if (m == "aarch64") return "arm64";
    if (m == "armv7l" || m == "armv6l") return "arm";
    if (m == "i686" || m == "i386") return "386";
    return m;
}

}  // namespace hako::image
