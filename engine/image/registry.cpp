// This file implements the registry pull of registry.h: a small HTTP client on
// libcurl with the distribution spec's auth dance, manifest selection, and blobs
// streamed to unnamed files while they are hashed.
#include "engine/image/registry.h"

#include "engine/sys/curl_api.h"
#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <memory>

#include <nlohmann/json.hpp>

#include "engine/image/reference.h"
#include "engine/sys/digest.h"
#include "engine/sys/fd.h"
#include "engine/sys/file.h"

namespace hako::image {

namespace {

using json = nlohmann::json;
using sys::UniqueFd;

constexpr size_t kMaxManifest = 8u << 20;

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return s;
}

std::string base64_decode(const std::string& text) {
    std::string out(text.size(), '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(text.data()), int(text.size()));
    if (n < 0) return {};
    out.resize(size_t(n));
    while (!text.empty() && text.back() == '=' && !out.empty() && out.back() == '\0') out.pop_back();  // padding
    return out;
}

bool is_local(const std::string& host) {
    std::string name = host.substr(0, host.rfind(':') == std::string::npos ? host.size() : host.rfind(':'));
    return name == "localhost" || name.rfind("127.", 0) == 0 || name == "[::1]";
}

// The parameters of a WWW-Authenticate challenge: scheme and key="value" pairs.
struct Challenge {
    std::string scheme;
    std::map<std::string, std::string> params;
};

Challenge parse_challenge(const std::string& header) {
    Challenge c;
    size_t space = header.find(' ');
    c.scheme = lower(header.substr(0, space));
    size_t i = space == std::string::npos ? header.size() : space + 1;
    while (i < header.size()) {
        while (i < header.size() && (header[i] == ' ' || header[i] == ',')) ++i;
        size_t eq = header.find('=', i);
        if (eq == std::string::npos) break;
        std::string key = lower(header.substr(i, eq - i));
        std::string value;
        i = eq + 1;
        if (i < header.size() && header[i] == '"') {
            size_t end = header.find('"', i + 1);
            if (end == std::string::npos) end = header.size();
            value = header.substr(i + 1, end - i - 1);
            i = end + 1;
        } else {
            size_t end = header.find(',', i);
            if (end == std::string::npos) end = header.size();
            value = header.substr(i, end - i);
            i = end;
        }
        c.params[key] = value;
    }
    return c;
}

std::string url_escape(const std::string& s) {
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += char(c);
        } else {
            char buf[4];
            std::snprintf(buf, sizeof buf, "%%%02X", c);
            out += buf;
        }
    }
    return out;
}

struct Response {
    long status = 0;
    std::string body;
    std::map<std::string, std::string> headers;  // lower-case names
};

struct CurlFree {
    const sys::curl::Api* api;
    void operator()(CURL* c) const { api->easy_cleanup(c); }
};

// One registry and repository; keeps the token it earned.
class Client {
public:
    Client(std::string host, std::string repository, RegistryCredentials credentials, bool plain_http)
        : host_(std::move(host)), repository_(std::move(repository)), credentials_(std::move(credentials)),
          base_((plain_http ? "http://" : "https://") + host_) {}

    // GET base/v2/<repo>/<path>: into memory (max bytes), or into `fd` while hashed.
    Result<Response> get(const std::string& path, const std::vector<std::string>& headers, size_t max, int fd = -1,
                         sys::Sha256* hash = nullptr) {
        return send("GET", base_ + "/v2/" + repository_ + "/" + path, headers, nullptr, max, fd, hash);
    }
    // Any method on a path below base/v2/<repo>/ or on an absolute URL (an upload's
    // Location), with an optional body; answers up to 1 MiB are kept.
    Result<Response> call(const std::string& method, const std::string& path_or_url,
                          const std::vector<std::string>& headers, const std::string* body = nullptr) {
        std::string url = path_or_url.rfind("http", 0) == 0 ? path_or_url
                          : path_or_url.rfind("/", 0) == 0 ? base_ + path_or_url
                                                            : base_ + "/v2/" + repository_ + "/" + path_or_url;
        return send(method, url, headers, body, 1 << 20, -1, nullptr);
    }
    void set_scope(std::string scope) { scope_ = std::move(scope); }
    const std::string& host() const { return host_; }

private:
    struct Sink {
        std::string* body;
        size_t max;
        int fd;
        sys::Sha256* hash;
        bool too_large = false;
        bool write_failed = false;
    };
    static size_t on_data(char* data, size_t size, size_t count, void* context) {
        auto* s = static_cast<Sink*>(context);
        size_t n = size * count;
        if (s->fd >= 0) {
            if (s->hash) s->hash->update(data, n);
            for (size_t done = 0; done < n;) {
                ssize_t w = ::write(s->fd, data + done, n - done);
                if (w < 0 && errno == EINTR) continue;
                if (w < 0) {
                    s->write_failed = true;
                    return 0;
                }
                done += size_t(w);
            }
            return n;
        }
        if (s->body->size() + n > s->max) {
            s->too_large = true;
            return 0;
        }
        s->body->append(data, n);
        return n;
    }
    static size_t on_header(char* data, size_t size, size_t count, void* context) {
        auto* headers = static_cast<std::map<std::string, std::string>*>(context);
        std::string line(data, size * count);
        size_t colon = line.find(':');
        if (colon != std::string::npos) {
            std::string value = line.substr(colon + 1);
            value.erase(0, value.find_first_not_of(" \t"));
            while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
            (*headers)[lower(line.substr(0, colon))] = value;
        }
        return size * count;
    }

    Result<Response> send(const std::string& method, const std::string& url, const std::vector<std::string>& headers,
                          const std::string* body, size_t max, int fd, sys::Sha256* hash) {
        Response r = TRY(request(method, url, headers, body, max, fd, hash));
        if (r.status == 401 && !authorized_) {
            TRY(authenticate(r));
            if (fd >= 0 && (::ftruncate(fd, 0) != 0 || ::lseek(fd, 0, SEEK_SET) != 0))
                return Error::from_syscall("truncate", errno, "download");
            if (hash) *hash = sys::Sha256();
            r = TRY(request(method, url, headers, body, max, fd, hash));
        }
        return r;
    }

    Result<Response> request(const std::string& method, const std::string& url, std::vector<std::string> headers,
                             const std::string* body, size_t max, int fd, sys::Sha256* hash, bool use_basic = false) {
        const sys::curl::Api& api = *TRY(sys::curl::load());
        std::unique_ptr<CURL, CurlFree> curl(api.easy_init(), CurlFree{&api});
        if (!curl) return Error("curl_easy_init failed");
        Response r;
        std::string error(CURL_ERROR_SIZE, '\0');
        Sink sink{&r.body, max, fd, hash};
        if (!token_.empty()) headers.push_back("Authorization: Bearer " + token_);
        curl_slist* list = nullptr;
        for (const auto& h : headers) list = api.slist_append(list, h.c_str());
        std::unique_ptr<curl_slist, void (*)(curl_slist*)> owned(list, api.slist_free_all);
        api.easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
        if (method == "HEAD") {
            api.easy_setopt(curl.get(), CURLOPT_NOBODY, 1L);
        } else if (method != "GET") {
            api.easy_setopt(curl.get(), CURLOPT_CUSTOMREQUEST, method.c_str());
            api.easy_setopt(curl.get(), CURLOPT_POSTFIELDS, body ? body->data() : "");
            api.easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body ? body->size() : 0));
        }
        api.easy_setopt(curl.get(), CURLOPT_HTTPHEADER, list);
        api.easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 1L);  // blobs redirect to storage
        api.easy_setopt(curl.get(), CURLOPT_MAXREDIRS, 5L);
        api.easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, &Client::on_data);
        api.easy_setopt(curl.get(), CURLOPT_WRITEDATA, &sink);
        api.easy_setopt(curl.get(), CURLOPT_HEADERFUNCTION, &Client::on_header);
        api.easy_setopt(curl.get(), CURLOPT_HEADERDATA, &r.headers);
        api.easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, error.data());
        api.easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT, 30L);
        api.easy_setopt(curl.get(), CURLOPT_LOW_SPEED_LIMIT, 1L);
        api.easy_setopt(curl.get(), CURLOPT_LOW_SPEED_TIME, 60L);
        api.easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
        api.easy_setopt(curl.get(), CURLOPT_USERAGENT, "hako");
        std::string userpwd = credentials_.username + ":" + credentials_.password;
        if (use_basic || basic_) {
            api.easy_setopt(curl.get(), CURLOPT_HTTPAUTH, long(CURLAUTH_BASIC));
            api.easy_setopt(curl.get(), CURLOPT_USERPWD, userpwd.c_str());
        }
        CURLcode rc = api.easy_perform(curl.get());
        if (sink.too_large) return Error(url + ": the response is larger than " + std::to_string(max) + " bytes");
        if (sink.write_failed) return Error::from_syscall("write", errno, "download of " + url);
        if (rc != CURLE_OK) return Error(url + ": " + (error[0] ? error.c_str() : api.easy_strerror(rc)));
        api.easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &r.status);
        // A 4xx/5xx body went to fd when streaming; what matters is the status.
        return r;
    }

    Result<void> authenticate(const Response& unauthorized) {
        authorized_ = true;
        auto it = unauthorized.headers.find("www-authenticate");
        if (it == unauthorized.headers.end()) return ok();  // the 401 stands
        Challenge c = parse_challenge(it->second);
        if (c.scheme == "basic") {
            if (credentials_.username.empty()) return ok();
            basic_ = true;
            return ok();
        }
        if (c.scheme != "bearer" || c.params["realm"].empty()) return ok();
        std::string scope = c.params.count("scope") ? c.params["scope"]
                            : repository_.empty()   ? ""
                                                    : "repository:" + repository_ + ":" + scope_;
        std::string url = c.params["realm"] + "?service=" + url_escape(c.params["service"]) +
                          (scope.empty() ? "" : "&scope=" + url_escape(scope));
        Response r = TRY(request("GET", url, {}, nullptr, 1 << 20, -1, nullptr, !credentials_.username.empty()));
        if (r.status != 200) return Error("registry " + host_ + ": token request failed with status " + std::to_string(r.status));
        json j = json::parse(r.body, nullptr, false);
        if (j.is_discarded() || !j.is_object()) return Error("registry " + host_ + ": the token answer is not JSON");
        token_ = j.value("token", j.value("access_token", ""));
        if (token_.empty()) return Error("registry " + host_ + ": the token answer holds no token");
        return ok();
    }

    std::string host_, repository_;
    RegistryCredentials credentials_;
    std::string base_;
    std::string token_;
    std::string scope_ = "pull";
    bool basic_ = false;
    bool authorized_ = false;
};

Error status_error(const Client& client, const std::string& what, const Response& r) {
    std::string message;
    json j = json::parse(r.body, nullptr, false);
    if (j.is_object() && j.contains("errors") && j["errors"].is_array() && !j["errors"].empty() && j["errors"][0].is_object())
        message = j["errors"][0].value("message", "");
    if (r.status == 401)
        return Error(what + ": unauthorized: authentication required" + (message.empty() ? "" : " (" + message + ")"));
    if (r.status == 404) return Error(what + ": not found" + (message.empty() ? "" : " (" + message + ")"));
    return Error("registry " + client.host() + ": " + what + ": status " + std::to_string(r.status) +
                 (message.empty() ? "" : " (" + message + ")"));
}

const std::vector<std::string> kManifestAccept = {
    std::string("Accept: ") + media_type::kManifest + ", " + media_type::kIndex + ", " + media_type::kDockerManifest +
    ", " + media_type::kDockerManifestList};

// Fetches a manifest (by tag or digest) and checks it against the digest it is known by.
Result<std::pair<std::string, std::string>> fetch_manifest(Client& client, const std::string& reference,
                                                           const std::string& expected_digest) {
    Response r = TRY(client.get("manifests/" + reference, kManifestAccept, kMaxManifest));
    if (r.status != 200) return status_error(client, "manifest " + reference, r);
    std::string digest = sys::sha256_digest(r.body);
    if (!expected_digest.empty() && digest != expected_digest)
        return Error("manifest " + reference + ": content has digest " + digest + ", expected " + expected_digest);
    return std::make_pair(r.body, digest);
}

}  // namespace

RegistryCredentials credentials_for(const std::string& config_path, const std::string& registry) {
    RegistryCredentials out;
    if (config_path.empty()) return out;
    auto text = sys::read_file(config_path, 1 << 20);
    if (!text.ok()) return out;
    json j = json::parse(*text, nullptr, false);
    if (!j.is_object() || !j.contains("auths") || !j["auths"].is_object()) return out;
    std::vector<std::string> keys = {registry, "https://" + registry, "http://" + registry};
    if (registry == "docker.io") keys.push_back("https://index.docker.io/v1/");
    for (const auto& key : keys) {
        if (!j["auths"].contains(key) || !j["auths"][key].is_object()) continue;
        std::string decoded = base64_decode(j["auths"][key].value("auth", ""));
        size_t colon = decoded.find(':');
        if (colon == std::string::npos) continue;
        out.username = decoded.substr(0, colon);
        out.password = decoded.substr(colon + 1);
        return out;
    }
    return out;
}

Result<PullResult> pull_image(const ImageStore& store, const std::string& ref, const PullOptions& options) {
    Reference reference = TRY(parse_reference_with_default_tag(ref));
    TRY(sys::curl::load());
    std::string host = reference.domain == "docker.io" ? "registry-1.docker.io" : reference.domain;
    bool plain = is_local(reference.domain) ||
                 std::find(options.insecure_registries.begin(), options.insecure_registries.end(), reference.domain) !=
                     options.insecure_registries.end();
    Client client(host, reference.path, credentials_for(options.docker_config, reference.domain), plain);
    auto say = [&](const std::string& line) {
        if (options.progress) options.progress(line);
    };
    say((reference.digest.empty() ? reference.tag : reference.digest) + ": Pulling from " + reference.path);

    auto [body, digest] = TRY(fetch_manifest(client, reference.digest.empty() ? reference.tag : reference.digest,
                                             reference.digest));
    json top = json::parse(body, nullptr, false);
    if (top.is_discarded() || !top.is_object()) return Error("manifest of " + ref + " is not JSON");
    std::string media = top.value("mediaType", "");
    std::string manifest_digest = digest;
    if (media == media_type::kIndex || media == media_type::kDockerManifestList || top.contains("manifests")) {
        std::string chosen;
        if (top.contains("manifests") && top["manifests"].is_array()) {
            for (const auto& m : top["manifests"]) {
                if (!m.is_object() || !m.contains("platform") || !m["platform"].is_object()) continue;
                if (m["platform"].value("os", "") == "linux" && m["platform"].value("architecture", "") == host_architecture()) {
                    chosen = m.value("digest", "");
                    break;
                }
            }
        }
        if (chosen.empty()) return Error("no matching manifest for linux/" + host_architecture() + " in the manifest list entries");
        TRY(sys::digest_hex(chosen));
        std::tie(body, manifest_digest) = TRY(fetch_manifest(client, chosen, chosen));
    }
    auto manifest = parse_manifest(body);
    if (!manifest.ok()) return std::move(manifest).error().context("manifest " + manifest_digest);

    // The config, verified.
    TRY(sys::digest_hex(manifest->config.digest));
    Response config = TRY(client.get("blobs/" + manifest->config.digest, {}, kMaxManifest));
    if (config.status != 200) return status_error(client, "config " + manifest->config.digest, config);
    if (sys::sha256_digest(config.body) != manifest->config.digest)
        return Error("config blob: content does not match its digest " + manifest->config.digest);
    auto parsed_config = parse_image_config(config.body);
    if (!parsed_config.ok()) return std::move(parsed_config).error().context("config " + manifest->config.digest);
    if (parsed_config->diff_ids.size() != manifest->layers.size())
        return Error("image " + ref + ": the config lists " + std::to_string(parsed_config->diff_ids.size()) +
                     " layers, the manifest " + std::to_string(manifest->layers.size()));

    std::vector<std::string> tags;
    if (reference.digest.empty()) tags.push_back(reference.name() + ":" + reference.tag);
    PullResult result;
    result.manifest_digest = manifest_digest;
    if (auto existing = store.record(manifest->config.digest); existing.ok()) {
        // Already here: only the tag may be new.
        result.image = TRY(store.commit_verbatim(config.body, existing->layers, tags));
        say("Digest: " + manifest_digest);
        return result;
    }

    // Layers: each downloaded to an unnamed file while hashed, compared with its
    // digest, and only then stored (so a mismatch stores nothing).
    auto ingest = TRY(store.root().ingest_lock());
    std::vector<LayerRef> layers;
    for (size_t i = 0; i < manifest->layers.size(); ++i) {
        const Descriptor& layer = manifest->layers[i];
        TRY(sys::digest_hex(layer.digest));
        std::string short_id = layer.digest.substr(7, 12);
        UniqueFd file(::open(store.root().tmp_dir().c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
        if (!file) return Error::from_syscall("open O_TMPFILE", errno, store.root().tmp_dir().string());
        sys::Sha256 hash;
        Response r = TRY(client.get("blobs/" + layer.digest, {}, 0, file.get(), &hash));
        if (r.status != 200) return status_error(client, "layer " + layer.digest, r);
        std::string got = hash.digest_final();
        if (got != layer.digest)
            return Error("layer " + layer.digest + ": downloaded content has digest " + got + " (rejected, nothing stored)");
        say(short_id + ": Download complete");
        if (::lseek(file.get(), 0, SEEK_SET) != 0) return Error::from_syscall("lseek", errno, "layer");
        LayerRef stored = TRY(store.add_layer(file.get(), "layer " + layer.digest));
        if (stored.diff_id != parsed_config->diff_ids[i])
            return Error("layer " + layer.digest + " unpacks to " + stored.diff_id + ", the config says " +
                         parsed_config->diff_ids[i]);
        layers.push_back(std::move(stored));
        say(short_id + ": Pull complete");
    }
    result.image = TRY(store.commit_verbatim(config.body, layers, tags));
    result.downloaded = true;
    say("Digest: " + manifest_digest);
    return result;
}

namespace {

std::string with_query(const std::string& url, const std::string& query) {
    return url + (url.find('?') == std::string::npos ? "?" : "&") + query;
}

// Uploads one stored blob unless the registry has it: HEAD, then a mount from
// `mount_from` repositories, then POST + PATCH chunks + PUT ?digest=.
// What happened, as docker push says it: "Pushed", "Layer already exists", "Mounted from REPO".
Result<std::string> push_blob(Client& client, const ImageStore& store, const std::string& digest,
                              const std::vector<std::string>& mount_from, size_t chunk_size) {
    Response head = TRY(client.call("HEAD", "blobs/" + digest, {}));
    if (head.status == 200) return std::string("Layer already exists");
    for (const auto& from : mount_from) {
        Response mounted = TRY(client.call("POST", "blobs/uploads/?mount=" + digest + "&from=" + from, {}));
        if (mounted.status == 201) return "Mounted from " + from;
    }
    Response started = TRY(client.call("POST", "blobs/uploads/", {}));
    if (started.status != 202) return status_error(client, "upload of " + digest, started);
    std::string location = started.headers["location"];
    if (location.empty()) return Error("registry " + client.host() + ": upload of " + digest + " without a Location");
    std::filesystem::path path = TRY(store.blobs().path(digest));
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return Error::from_syscall("open", errno, path.string());
    std::string chunk(chunk_size, '\0');
    int64_t offset = 0;
    while (true) {
        ssize_t n = ::read(fd.get(), chunk.data(), chunk.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return Error::from_syscall("read", errno, path.string());
        if (n == 0) break;
        std::string body = chunk.substr(0, size_t(n));
        Response r = TRY(client.call("PATCH", location,
                                     {"Content-Type: application/octet-stream",
                                      "Content-Range: " + std::to_string(offset) + "-" + std::to_string(offset + n - 1)},
                                     &body));
        if (r.status != 202) return status_error(client, "upload of " + digest, r);
        if (!r.headers["location"].empty()) location = r.headers["location"];
        offset += n;
    }
    std::string empty;
    Response done = TRY(client.call("PUT", with_query(location, "digest=" + digest), {"Content-Length: 0"}, &empty));
    if (done.status != 201) return status_error(client, "upload of " + digest, done);
    return std::string("Pushed");
}

}  // namespace

Result<std::string> push_image(const ImageStore& store, const std::string& ref, const PushOptions& options) {
    Reference reference = TRY(parse_reference_with_default_tag(ref));
    if (!reference.digest.empty()) return Error::usage("push takes a tag, not a digest: " + ref);
    TRY(sys::curl::load());
    ImageRecord image = TRY(store.resolve(reference.name() + ":" + reference.tag));
    std::string manifest = TRY(store.blobs().read(image.manifest_digest));
    std::string host = reference.domain == "docker.io" ? "registry-1.docker.io" : reference.domain;
    bool plain = is_local(reference.domain) ||
                 std::find(options.insecure_registries.begin(), options.insecure_registries.end(), reference.domain) !=
                     options.insecure_registries.end();
    Client client(host, reference.path, credentials_for(options.docker_config, reference.domain), plain);
    client.set_scope("pull,push");
    auto say = [&](const std::string& line) {
        if (options.progress) options.progress(line);
    };
    say("The push refers to repository [" + reference.familiar_name() + "]");
    // Other repositories of the same registry that hold this image: mount sources.
    std::vector<std::string> mount_from;
    for (const auto& tag : image.repo_tags) {
        auto other = parse_reference_with_default_tag(tag);
        if (other.ok() && other->domain == reference.domain && other->path != reference.path) mount_from.push_back(other->path);
    }
    for (const auto& layer : image.layers) {
        std::string what = TRY(push_blob(client, store, layer.digest, mount_from, options.chunk_size));
        say(layer.digest.substr(7, 12) + ": " + what);
    }
    TRY(push_blob(client, store, image.id, mount_from, options.chunk_size));
    std::string media = image.manifest_media_type.empty() ? media_type::kManifest : image.manifest_media_type;
    Response put = TRY(client.call("PUT", "manifests/" + reference.tag, {"Content-Type: " + media}, &manifest));
    if (put.status != 201) return status_error(client, "manifest " + reference.tag, put);
    say(reference.tag + ": digest: " + image.manifest_digest + " size: " + std::to_string(manifest.size()));
    return image.manifest_digest;
}

Result<void> verify_login(const std::string& registry, const RegistryCredentials& credentials,
                          const std::vector<std::string>& insecure_registries) {
    TRY(sys::curl::load());
    std::string host = registry == "docker.io" ? "registry-1.docker.io" : registry;
    bool plain = is_local(registry) ||
                 std::find(insecure_registries.begin(), insecure_registries.end(), registry) != insecure_registries.end();
    Client client(host, "", credentials, plain);
    Response r = TRY(client.call("GET", "/v2/", {}));
    if (r.status == 401) return Error("login to " + registry + ": unauthorized: incorrect username or password");
    if (r.status != 200) return status_error(client, "login", r);
    return ok();
}

std::string credentials_key(const std::string& registry) {
    return registry == "docker.io" ? "https://index.docker.io/v1/" : registry;
}

namespace {

Result<json> read_docker_config(const std::string& path) {
    auto text = sys::read_file(path, 4u << 20);
    if (!text.ok()) {
        if (text.error().errno_value == ENOENT) return json::object();
        return std::move(text).error();
    }
    json j = json::parse(*text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return Error(path + ": not a JSON object");
    return j;
}

std::string base64_encode(const std::string& text) {
    std::string out(4 * ((text.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(text.data()), int(text.size()));
    out.resize(size_t(n));
    return out;
}

}  // namespace

Result<void> store_credentials(const std::string& config_path, const std::string& registry,
                               const RegistryCredentials& credentials) {
    json config = TRY(read_docker_config(config_path));
    if (!config.contains("auths") || !config["auths"].is_object()) config["auths"] = json::object();
    config["auths"][credentials_key(registry)] = {{"auth", base64_encode(credentials.username + ":" + credentials.password)}};
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(config_path).parent_path(), ec);
    return sys::write_file_atomic(config_path, config.dump(1, '\t') + "\n", 0600);
}

Result<bool> remove_credentials(const std::string& config_path, const std::string& registry) {
    json config = TRY(read_docker_config(config_path));
    if (!config.contains("auths") || !config["auths"].is_object() || !config["auths"].contains(credentials_key(registry)))
        return false;
    config["auths"].erase(credentials_key(registry));
    TRY(sys::write_file_atomic(config_path, config.dump(1, '\t') + "\n", 0600));
    return true;
}

}  // namespace hako::image
