// This file implements download_url (see url_source.h).
#include "engine/build/url_source.h"

#include <fcntl.h>
#include <unistd.h>

#include "engine/sys/digest.h"
#include "engine/sys/fd.h"
#include "engine/sys/http.h"

namespace hako::build {

namespace {

struct Sink {
    int fd;
    sys::Sha256 hash;
    bool failed = false;
};

bool write_body(Sink& sink, const char* data, size_t total) {
    size_t done = 0;
    while (done < total) {
        ssize_t n = ::write(sink.fd, data + done, total - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            sink.failed = true;
            return false;
        }
        done += size_t(n);
    }
    sink.hash.update(data, total);
    return true;
}

std::string file_name(const std::string& url) {
    std::string path = url.substr(url.find("://") + 3);
    size_t slash = path.find('/');
    path = slash == std::string::npos ? "" : path.substr(slash);
    path = path.substr(0, path.find_first_of("?#"));
    std::string name = path.substr(path.rfind('/') + 1);
    if (name.empty() || name == "." || name == "..") return "__unnamed__";
    return name;
}

}  // namespace

bool is_url(const std::string& source) {
    return source.rfind("http://", 0) == 0 || source.rfind("https://", 0) == 0;
}

Result<std::filesystem::path> download_url(const std::string& url, const std::filesystem::path& dir,
                                           const std::optional<std::string>& checksum) {
    if (checksum && !sys::is_sha256_digest(*checksum))
        return Error("ADD --checksum=" + *checksum + ": expected sha256:<64 hex digits>");
    std::filesystem::path path = dir / file_name(url);
    sys::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!fd) return Error::from_syscall("open", errno, path.string());
    Sink sink{fd.get(), {}};
    sys::http::Request request;
    request.url = url;
    request.max_redirects = 10;
    request.protocols = "http,https";
    sys::http::Handler handler;
    handler.on_data = [&sink](const char* data, size_t size) { return write_body(sink, data, size); };
    auto outcome = sys::http::perform(request, handler);
    if (!outcome.ok()) return std::move(outcome).error().context("ADD " + url);
    long status = outcome->status;
    if (sink.failed) return Error::from_syscall("write", errno, path.string());
    if (outcome->curl_code != 0) return Error("ADD " + url + ": " + outcome->error);
    if (status >= 400) return Error("ADD " + url + ": the server answered HTTP " + std::to_string(status));
    std::string digest = sink.hash.digest_final();
    if (checksum && digest != *checksum)
        return Error("ADD " + url + ": checksum mismatch: expected " + *checksum + ", got " + digest);
    return path;
}

}  // namespace hako::build
