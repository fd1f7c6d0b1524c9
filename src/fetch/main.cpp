// hako-fetch: hako's HTTP helper (engine/sys/http.h). hako is linked statically,
// and a static glibc must not dlopen libcurl (a second libc.so.6 in the process:
// curl's name resolution crashed in it); this small dynamic program links libcurl
// and does the transfers hako asks for on the socket it inherits as fd 3, one after
// the other, with the frames of engine/sys/http_frames.h. It keeps one easy handle,
// so connections to a registry stay open from one request to the next.
#include <curl/curl.h>

#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/sys/http_frames.h"

namespace {

using json = nlohmann::json;
using hako::sys::http::read_frame;
using hako::sys::http::write_frame;

constexpr int kSocket = 3;

struct Transfer {
    CURL* curl;
    bool started = false;  // 'S' sent for the answer whose body is coming
    bool peer_gone = false;
};

size_t on_header(char* data, size_t size, size_t count, void* context) {
    auto* t = static_cast<Transfer*>(context);
    size_t n = size * count;
    // A new answer (a redirect's next) starts its body over.
    t->started = false;
    if (!write_frame(kSocket, 'h', std::string_view(data, n))) {
        t->peer_gone = true;
        return 0;
    }
    return n;
}

size_t on_data(char* data, size_t size, size_t count, void* context) {
    auto* t = static_cast<Transfer*>(context);
    size_t n = size * count;
    if (!t->started) {
        long status = 0;
        curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
        if (!write_frame(kSocket, 'S', std::to_string(status))) {
            t->peer_gone = true;
            return 0;
        }
        t->started = true;
    }
    if (!write_frame(kSocket, 'D', std::string_view(data, n))) {
        t->peer_gone = true;
        return 0;
    }
    return n;
}

// One request: its options, then perform, then the 'E' frame. False: hako is gone.
bool serve(CURL* curl, const json& request, const std::string& body) {
    curl_easy_reset(curl);  // keeps the open connections and the DNS cache
    Transfer transfer{curl};
    char error[CURL_ERROR_SIZE] = "";
    std::string method = request.value("method", "GET");
    std::string url = request.value("url", "");
    std::string protocols = request.value("protocols", "");
    std::string user_agent = request.value("user_agent", "hako");
    std::string userpwd = request.value("userpwd", "");
    curl_slist* headers = nullptr;
    for (const auto& header : request.value("headers", std::vector<std::string>{}))
        headers = curl_slist_append(headers, header.c_str());
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    if (method == "HEAD") {
        curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    } else if (method != "GET") {
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl, CURLOPT_MAXREDIRS, request.value("max_redirects", 5L));
    if (!protocols.empty()) {
        curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, protocols.c_str());
        curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, protocols.c_str());
    }
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &on_data);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, request.value("connect_timeout", 30L));
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, request.value("low_speed_limit", 1L));
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, request.value("low_speed_time", 60L));
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, user_agent.c_str());
    if (request.value("basic", false)) {
        curl_easy_setopt(curl, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
        curl_easy_setopt(curl, CURLOPT_USERPWD, userpwd.c_str());
    }
    CURLcode rc = curl_easy_perform(curl);
    curl_slist_free_all(headers);
    if (transfer.peer_gone) return false;
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    json end = {{"code", static_cast<int>(rc)},
                {"error", rc == CURLE_OK ? "" : (error[0] ? error : curl_easy_strerror(rc))},
                {"status", status}};
    return write_frame(kSocket, 'E', end.dump(-1, ' ', false, json::error_handler_t::replace));
}

}  // namespace

int main(int argc, char**) {
    if (argc != 1) {
        std::fprintf(stderr, "hako-fetch: run by hako only (its HTTP transfers, on fd 3)\n");
        return 2;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return 1;
    CURL* curl = curl_easy_init();
    if (!curl) return 1;
    for (;;) {
        char type = 0;
        std::string payload;
        if (!read_frame(kSocket, type, payload) || type != 'R') break;
        json request = json::parse(payload, nullptr, false);
        if (request.is_discarded() || !request.is_object()) break;
        std::string body;
        if (request.value("has_body", false) && (!read_frame(kSocket, type, body) || type != 'B')) break;
        if (!serve(curl, request, body)) break;
    }
    curl_easy_cleanup(curl);
    return 0;
}
