// This file implements the registry pull of registry.h: a small HTTP client on
// libcurl (which runs in the hako-fetch helper, sys/http.h) with the distribution
// spec's auth dance, manifest selection, and layers streamed a few at a time into
// resumable partial files while they are hashed.
#include "engine/image/registry.h"

#include <dirent.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include <nlohmann/json.hpp>

#include "engine/image/reference.h"
#include "engine/sys/digest.h"
#include "engine/sys/fd.h"
#include "engine/sys/http.h"
#include "engine/sys/file.h"

namespace hako::image {

namespace {

using json = nlohmann::json;
using sys::UniqueFd;

constexpr size_t kMaxManifest = 8u << 20;
// The error of a blob download that another layer's failure stopped.
constexpr const char* kDownloadStopped = "download stopped";

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

// One registry and repository; keeps the token it earned.
class Client {
public:
    Client(std::string host, std::string repository, RegistryCredentials credentials, bool plain_http)
        : host_(std::move(host)), repository_(std::move(repository)), credentials_(std::move(credentials)),
          base_((plain_http ? "http://" : "https://") + host_) {}

    // GET base/v2/<repo>/<path> into memory (max bytes).
    Result<Response> get(const std::string& path, const std::vector<std::string>& headers, size_t max) {
        return send("GET", base_ + "/v2/" + repository_ + "/" + path, headers, nullptr, max, nullptr);
    }
    // How a blob streams into a file: appended at `resume_from` (a Range request;
    // a 200 answer starts the file and `hash` over), hashed on the way, the bytes so
    // far told to `on_bytes`; `abort` stops the transfer. Bodies of answers other than
    // 200/206 never reach the file.
    struct Stream {
        int fd = -1;
        sys::Sha256* hash = nullptr;
        int64_t resume_from = 0;
        std::function<void(int64_t)> on_bytes;
        const std::atomic<bool>* abort = nullptr;
    };
    Result<Response> get_blob(const std::string& digest, Stream& stream) {
        std::vector<std::string> headers;
        if (stream.resume_from > 0) headers.push_back("Range: bytes=" + std::to_string(stream.resume_from) + "-");
        return send("GET", base_ + "/v2/" + repository_ + "/blobs/" + digest, headers, nullptr, 0, &stream);
    }
    // Any method on a path below base/v2/<repo>/ or on an absolute URL (an upload's
    // Location), with an optional body; answers up to 1 MiB are kept.
    Result<Response> call(const std::string& method, const std::string& path_or_url,
                          const std::vector<std::string>& headers, const std::string* body = nullptr) {
        std::string url = path_or_url.rfind("http", 0) == 0 ? path_or_url
                          : path_or_url.rfind("/", 0) == 0 ? base_ + path_or_url
                                                            : base_ + "/v2/" + repository_ + "/" + path_or_url;
        return send(method, url, headers, body, 1 << 20, nullptr);
    }
    void set_scope(std::string scope) { scope_ = std::move(scope); }
    const std::string& host() const { return host_; }

private:
    struct Sink {
        std::string* body;
        size_t max;
        Stream* stream;
        long status;  // the answer's, told before its first body bytes
        const std::map<std::string, std::string>* headers;
        bool too_large = false;
        bool write_failed = false;
        bool started = false;
        bool discard = false;  // an error answer's body
        bool bad_range = false;
        int64_t written = 0;
    };
    // The first bytes of a streamed answer: decides whether they go to the file, and where.
    static bool start_stream(Sink* s) {
        s->started = true;
        long status = s->status;
        Stream& st = *s->stream;
        if (status == 206) {
            // "bytes N-M/T": N must be where the partial file ends.
            auto it = s->headers->find("content-range");
            std::string expect = "bytes " + std::to_string(st.resume_from) + "-";
            if (it == s->headers->end() || it->second.rfind(expect, 0) != 0) {
                s->bad_range = true;
                return false;
            }
            s->written = st.resume_from;
        } else if (status == 200) {
            if (st.resume_from > 0) {  // the server ignored the Range: start over
                if (::ftruncate(st.fd, 0) != 0 || ::lseek(st.fd, 0, SEEK_SET) != 0) {
                    s->write_failed = true;
                    return false;
                }
                if (st.hash) *st.hash = sys::Sha256();
                st.resume_from = 0;
            }
        } else {
            s->discard = true;
        }
        return true;
    }
    // The answer's body bytes, as they come; false stops the transfer.
    static bool on_data(const char* data, size_t n, Sink* s) {
        if (s->stream) {
            if (!s->started && !start_stream(s)) return false;
            if (s->discard) return true;
            if (s->stream->abort && s->stream->abort->load()) return false;
            if (s->stream->hash) s->stream->hash->update(data, n);
            for (size_t done = 0; done < n;) {
                ssize_t w = ::write(s->stream->fd, data + done, n - done);
                if (w < 0 && errno == EINTR) continue;
                if (w < 0) {
                    s->write_failed = true;
                    return false;
                }
                done += size_t(w);
            }
            s->written += int64_t(n);
            if (s->stream->on_bytes) s->stream->on_bytes(s->written);
            return true;
        }
        if (s->body->size() + n > s->max) {
            s->too_large = true;
            return false;
        }
        s->body->append(data, n);
        return true;
    }
    // One header line: "Name: value" into the lower-cased map (later answers win).
    static void on_header(std::string_view raw, std::map<std::string, std::string>& headers) {
        std::string line(raw);
        size_t colon = line.find(':');
        if (colon == std::string::npos) return;
        std::string value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(" \t"));
        while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
        headers[lower(line.substr(0, colon))] = value;
    }

    Result<Response> send(const std::string& method, const std::string& url, const std::vector<std::string>& headers,
                          const std::string* body, size_t max, Stream* stream) {
        Response r = TRY(request(method, url, headers, body, max, stream));
        if (r.status == 401 && !authorized_) {
            TRY(authenticate(r));  // the 401's body never reached a stream's file
            r = TRY(request(method, url, headers, body, max, stream));
        }
        return r;
    }

    Result<Response> request(const std::string& method, const std::string& url, std::vector<std::string> headers,
                             const std::string* body, size_t max, Stream* stream, bool use_basic = false) {
        Response r;
        Sink sink{&r.body, max, stream, 0, &r.headers};
        if (!token_.empty()) headers.push_back("Authorization: Bearer " + token_);
        sys::http::Request q;
        q.method = method;
        q.url = url;
        q.headers = std::move(headers);
        if (body) q.body = *body;
        q.max_redirects = 5;  // blobs redirect to storage
        if (use_basic || basic_) {
            q.basic = true;
            q.userpwd = credentials_.username + ":" + credentials_.password;
        }
        sys::http::Handler handler;
        handler.on_header = [&r](std::string_view line) { on_header(line, r.headers); };
        // A new answer (after a redirect) starts its body over.
        handler.on_start = [&sink](long status) {
            sink.status = status;
            sink.started = false;
            return true;
        };
        handler.on_data = [&sink](const char* data, size_t size) { return on_data(data, size, &sink); };
        if (stream && stream->abort) handler.stop_requested = [stream] { return stream->abort->load(); };
        auto outcome = TRY(sys::http::perform(q, handler));
        if (sink.too_large) return Error(url + ": the response is larger than " + std::to_string(max) + " bytes");
        if (sink.write_failed) return Error::from_syscall("write", errno, "download of " + url);
        if (sink.bad_range) return Error(url + ": the server answered the Range request with another range");
        if (stream && stream->abort && stream->abort->load()) return Error(url + ": " + kDownloadStopped);
        if (outcome.curl_code != 0) return Error(url + ": " + outcome.error);
        r.status = outcome.status;
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
        Response r = TRY(request("GET", url, {}, nullptr, 1 << 20, nullptr, !credentials_.username.empty()));
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


// A layer blob on disk, verified: the open file and, when it was a named partial
// file, its path (removed once the layer is stored).
struct LayerDownload {
    UniqueFd fd;
    std::filesystem::path partial;
};

constexpr const char* kPartialPrefix = "pull-";
constexpr const char* kPartialSuffix = ".partial";

// Hashes the first `size` bytes of `fd` into `hash`.
Result<void> hash_prefix(int fd, int64_t size, sys::Sha256& hash) {
    std::string buffer(1 << 20, '\0');
    for (int64_t at = 0; at < size;) {
        ssize_t n = ::pread(fd, buffer.data(), size_t(std::min<int64_t>(int64_t(buffer.size()), size - at)), at);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return Error::from_syscall("read", n < 0 ? errno : EIO, "partial download");
        hash.update(buffer.data(), size_t(n));
        at += n;
    }
    return ok();
}

// Downloads one layer blob into tmp/pull-<hex>.partial (continuing a partial file
// another pull left there with a Range request) or, when another pull holds that
// file, into an unnamed file; verifies the digest over the whole file. A resumed file
// whose digest is wrong is downloaded once more from zero; a fresh one that is wrong
// is removed and rejected. A failed transfer leaves the partial file for the next pull.
Result<LayerDownload> download_layer(Client& client, const std::filesystem::path& tmp, const Descriptor& layer,
                                     const std::atomic<bool>& abort,
                                     const std::function<void(const LayerProgress&)>& report) {
    using Phase = LayerProgress::Phase;
    std::string short_id = layer.digest.substr(7, 12);
    LayerDownload out;
    std::filesystem::path partial = tmp / (kPartialPrefix + layer.digest.substr(7) + kPartialSuffix);
    out.fd.reset(::open(partial.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (out.fd && ::flock(out.fd.get(), LOCK_EX | LOCK_NB) == 0) {
        out.partial = partial;
    } else {
        out.fd.reset(::open(tmp.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
        if (!out.fd) return Error::from_syscall("open O_TMPFILE", errno, tmp.string());
    }
    auto started = std::chrono::steady_clock::now();
    auto last = started - std::chrono::seconds(1);
    for (int attempt = 0;; ++attempt) {
        struct stat st {};
        if (::fstat(out.fd.get(), &st) != 0) return Error::from_syscall("fstat", errno, partial.string());
        int64_t have = attempt == 0 ? st.st_size : 0;
        if (have > 0 && have == layer.size) {
            // A whole file a stopped pull downloaded but did not store: good if its digest is.
            sys::Sha256 whole;
            TRY(hash_prefix(out.fd.get(), have, whole));
            if (whole.digest_final() == layer.digest) {
                report({short_id, Phase::DownloadComplete, have, layer.size, 0.0});
                return out;
            }
        }
        if (have > 0 && layer.size > 0 && have >= layer.size) have = 0;  // nothing left to ask for: start over
        if (have == 0 && st.st_size > 0 && ::ftruncate(out.fd.get(), 0) != 0)
            return Error::from_syscall("truncate", errno, partial.string());
        sys::Sha256 hash;
        if (have > 0) TRY(hash_prefix(out.fd.get(), have, hash));
        if (::lseek(out.fd.get(), have, SEEK_SET) != have) return Error::from_syscall("lseek", errno, partial.string());
        report({short_id, have > 0 ? Phase::Resuming : Phase::Downloading, have, layer.size});
        Client::Stream stream;
        stream.fd = out.fd.get();
        stream.hash = &hash;
        stream.resume_from = have;
        stream.abort = &abort;
        stream.on_bytes = [&](int64_t done) {
            auto now = std::chrono::steady_clock::now();
            if (now - last < std::chrono::milliseconds(100)) return;
            last = now;
            report({short_id, Phase::Downloading, done, layer.size});
        };
        // A failed transfer keeps what arrived for the next pull; an empty file goes.
        auto drop_if_empty = [&] {
            struct stat now {};
            if (!out.partial.empty() && ::fstat(out.fd.get(), &now) == 0 && now.st_size == 0) ::unlink(out.partial.c_str());
        };
        auto answer = client.get_blob(layer.digest, stream);
        if (!answer.ok()) {
            drop_if_empty();
            return std::move(answer).error();
        }
        Response& r = *answer;
        if (r.status == 416 && have > 0) continue;  // the range is past the blob: start over
        if (r.status != 200 && r.status != 206) {
            drop_if_empty();
            return status_error(client, "layer " + layer.digest, r);
        }
        bool resumed = r.status == 206;
        std::string got = hash.digest_final();
        if (got == layer.digest) {
            double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
            struct stat done {};
            ::fstat(out.fd.get(), &done);
            report({short_id, Phase::DownloadComplete, done.st_size, layer.size, seconds});
            return out;
        }
        if (resumed && attempt == 0) {
            report({short_id, Phase::Restarting, 0, layer.size});
            continue;
        }
        if (!out.partial.empty()) ::unlink(out.partial.c_str());
        return Error("layer " + layer.digest + ": downloaded content has digest " + got + " (rejected, nothing stored)");
    }
}

// Removes partial downloads under `tmp` older than `age` that no pull holds; returns
// the bytes freed.
int64_t remove_stale_partials(const std::filesystem::path& tmp, std::chrono::seconds age) {
    DIR* d = ::opendir(tmp.c_str());
    if (!d) return 0;
    int64_t freed = 0;
    std::vector<std::string> names;
    while (dirent* e = ::readdir(d)) {
        std::string name = e->d_name;
        if (name.rfind(kPartialPrefix, 0) == 0 && name.size() > 8 && name.ends_with(kPartialSuffix)) names.push_back(name);
    }
    ::closedir(d);
    time_t cutoff = ::time(nullptr) - time_t(age.count());
    for (const auto& name : names) {
        std::filesystem::path path = tmp / name;
        UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
        struct stat st {};
        if (!fd || ::fstat(fd.get(), &st) != 0 || st.st_mtime > cutoff) continue;
        if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) continue;  // a pull is writing it
        if (::unlink(path.c_str()) == 0) freed += st.st_size;
    }
    return freed;
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

    // Layers: downloaded a few at a time into partial files while hashed, each
    // compared with its digest before it is stored (so a mismatch stores nothing);
    // this thread unpacks them in order as they arrive.
    auto ingest = TRY(store.root().ingest_lock());
    for (const auto& layer : manifest->layers) TRY(sys::digest_hex(layer.digest));
    std::mutex say_mutex;
    auto report = [&](const LayerProgress& event) {
        if (options.layer_progress) return options.layer_progress(event);
        using Phase = LayerProgress::Phase;
        const char* text = event.phase == Phase::DownloadComplete ? ": Download complete"
                           : event.phase == Phase::PullComplete   ? ": Pull complete"
                           : event.phase == Phase::AlreadyExists  ? ": Already exists"
                                                                   : nullptr;
        if (text == nullptr) return;
        std::lock_guard<std::mutex> hold(say_mutex);
        say(event.id + text);
    };
    size_t count = manifest->layers.size();
    // Layers the store already holds (another image's with the diff id the verified
    // config names) are not downloaded again: docker's "Already exists". The image's
    // content is defined by its diff ids, so a differently compressed blob of the same
    // tar is the same layer. The ingest lock held here
    // keeps garbage collection from removing them before the commit below.
    std::vector<std::optional<LayerRef>> present(count);
    if (auto images = store.list(); images.ok())
        for (const auto& image : *images)
            for (const auto& held : image.layers)
                for (size_t i = 0; i < count; ++i)
                    if (!present[i] && held.diff_id == parsed_config->diff_ids[i])
                        present[i] = held;
    for (size_t i = 0; i < count; ++i) {
        const auto& layer = manifest->layers[i];
        report({layer.digest.substr(7, 12), present[i] ? LayerProgress::Phase::AlreadyExists : LayerProgress::Phase::Waiting,
                0, layer.size});
    }

    std::vector<std::optional<Result<LayerDownload>>> downloads(count);
    std::mutex mutex;
    std::condition_variable arrived;
    std::atomic<size_t> next{0};
    std::atomic<bool> abort{false};
    size_t finished_workers = 0;
    std::vector<std::thread> workers;
    auto stop_workers = [&] {
        abort = true;
        for (auto& t : workers)
            if (t.joinable()) t.join();
    };
    struct Joiner {
        std::function<void()> f;
        ~Joiner() { f(); }
    } joiner{stop_workers};
    size_t parallel = std::clamp<size_t>(options.parallel_downloads, 1, std::max<size_t>(count, 1));
    for (size_t w = 0; w < parallel; ++w) {
        workers.emplace_back([&, client] () mutable {
            for (size_t i = next++; i < count && !abort; i = next++) {
                if (present[i]) continue;
                auto got = download_layer(client, store.root().tmp_dir(), manifest->layers[i], abort, report);
                if (!got.ok()) abort = true;
                std::lock_guard<std::mutex> hold(mutex);
                downloads[i] = std::move(got);
                arrived.notify_all();
            }
            std::lock_guard<std::mutex> hold(mutex);
            ++finished_workers;
            arrived.notify_all();
        });
    }
    std::vector<LayerRef> layers;
    std::optional<Error> failure;
    for (size_t i = 0; i < count && !failure; ++i) {
        const Descriptor& layer = manifest->layers[i];
        std::string short_id = layer.digest.substr(7, 12);
        if (present[i]) {
            layers.push_back(*present[i]);
            continue;
        }
        {
            std::unique_lock<std::mutex> hold(mutex);
            arrived.wait(hold, [&] { return downloads[i].has_value() || finished_workers == parallel; });
            if (!downloads[i]) break;  // stopped by another layer's failure
            if (!downloads[i]->ok()) {
                failure = downloads[i]->error();
                break;
            }
        }
        LayerDownload& got = **downloads[i];
        report({short_id, LayerProgress::Phase::Extracting, layer.size, layer.size});
        if (::lseek(got.fd.get(), 0, SEEK_SET) != 0) return Error::from_syscall("lseek", errno, "layer");
        auto stored = store.add_layer(got.fd.get(), "layer " + layer.digest);
        if (!got.partial.empty()) ::unlink(got.partial.c_str());
        got.fd.reset();
        if (!stored.ok()) {
            failure = std::move(stored).error();
            break;
        }
        if (stored->diff_id != parsed_config->diff_ids[i]) {
            failure = Error("layer " + layer.digest + " unpacks to " + stored->diff_id + ", the config says " +
                            parsed_config->diff_ids[i]);
            break;
        }
        layers.push_back(std::move(*stored));
        report({short_id, LayerProgress::Phase::PullComplete, layer.size, layer.size});
    }
    stop_workers();
    auto stopped = [](const Error& e) { return e.message.find(kDownloadStopped) != std::string::npos; };
    if (!failure || stopped(*failure)) {
        // The first genuine error: a layer stopped because another failed says less.
        for (auto& d : downloads)
            if (d && !d->ok() && !stopped(d->error())) {
                failure = d->error();
                break;
            }
    }
    if (failure) return std::move(*failure);
    if (layers.size() != count) return Error("pull of " + ref + " stopped before its layers were stored");
    remove_stale_partials(store.root().tmp_dir(), std::chrono::hours(24));
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

Result<int64_t> prune_partial_downloads(const ImageStore& store) {
    auto exclusive = TRY(store.root().gc_lock());  // no pull is between its download and its commit
    return remove_stale_partials(store.root().tmp_dir(), std::chrono::seconds(0));
}

Result<std::string> push_image(const ImageStore& store, const std::string& ref, const PushOptions& options) {
    Reference reference = TRY(parse_reference_with_default_tag(ref));
    if (!reference.digest.empty()) return Error::usage("push takes a tag, not a digest: " + ref);
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
