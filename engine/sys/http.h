// This file declares hako's HTTP transfers (registry pulls, ADD of a URL). They
// run in hako-fetch, a small dynamic helper beside the hako binary that links
// libcurl (src/fetch/main.cpp): hako itself is static, and a static glibc cannot
// safely dlopen libcurl. Each thread keeps one helper for its transfers (so its
// connections stay open); the callbacks run in the calling thread.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/sys/error.h"

namespace hako::sys::http {

struct Request {
    std::string method = "GET";  // GET, HEAD, or any other (sent with `body`)
    std::string url;
    std::vector<std::string> headers;  // "Name: value"
    std::string body;
    long max_redirects = 5;
    std::string protocols;  // e.g. "http,https" for the URL and its redirects; empty: libcurl's default
    long connect_timeout = 30;
    long low_speed_limit = 1;  // bytes per second, for low_speed_time seconds
    long low_speed_time = 60;
    std::string user_agent = "hako";
    bool basic = false;  // HTTP basic authentication with userpwd ("user:password")
    std::string userpwd;
};

// What the transfer hands back as it goes. Each may stop it by returning false.
struct Handler {
    std::function<void(std::string_view line)> on_header;  // every raw header line, redirects' too
    std::function<bool(long status)> on_start;             // before the first body bytes of an answer
    std::function<bool(const char* data, size_t size)> on_data;
    std::function<bool()> stop_requested;  // polled while waiting (a few times a second)
};

struct Outcome {
    bool stopped = false;  // a callback returned false, or stop_requested said so
    int curl_code = 0;     // libcurl's result (0: the transfer completed)
    std::string error;     // libcurl's message when curl_code != 0
    long status = 0;       // the last answer's HTTP status
};

// Runs one transfer. An error: hako-fetch could not be started or went away.
Result<Outcome> perform(const Request& request, const Handler& handler);

}  // namespace hako::sys::http
