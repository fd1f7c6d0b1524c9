// This file implements download_url (see url_source.h).
#include "engine/build/url_source.h"

#include "engine/sys/curl_api.h"
#include <fcntl.h>
#include <unistd.h>

#include "engine/sys/digest.h"
#include "engine/sys/fd.h"

namespace hako::build {

namespace {

struct Sink {
    int fd;
    sys::Sha256 hash;
    bool failed = false;
};

size_t write_body(char* data, size_t size, size_t count, void* user) {
    auto* sink = static_cast<Sink*>(user);
    size_t total = size * count;
    size_t done = 0;
    while (done < total) {
        ssize_t n = ::write(sink->fd, data + done, total - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            sink->failed = true;
            return 0;
        }
        done += size_t(n);
    }
    sink->hash.update(data, total);
    return total;
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
    const sys::curl::Api& api = *TRY(sys::curl::load());
    CURL* curl = api.easy_init();
    if (!curl) return Error("ADD " + url + ": cannot start a transfer");
    char error_text[CURL_ERROR_SIZE] = "";
    api.easy_setopt(curl, CURLOPT_URL, url.c_str());
    api.easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    api.easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
    api.easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    api.easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    api.easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 30L);
    api.easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    api.easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 60L);
    api.easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    api.easy_setopt(curl, CURLOPT_ERRORBUFFER, error_text);
    api.easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_body);
    api.easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
    CURLcode rc = api.easy_perform(curl);
    long status = 0;
    api.easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    api.easy_cleanup(curl);
    if (sink.failed) return Error::from_syscall("write", errno, path.string());
    if (rc != CURLE_OK) return Error("ADD " + url + ": " + (error_text[0] ? error_text : api.easy_strerror(rc)));
    if (status >= 400) return Error("ADD " + url + ": the server answered HTTP " + std::to_string(status));
    std::string digest = sink.hash.digest_final();
    if (checksum && digest != *checksum)
        return Error("ADD " + url + ": checksum mismatch: expected " + *checksum + ", got " + digest);
    return path;
}

}  // namespace hako::build
