// This file implements the lazy libcurl loader: dlopen of libcurl.so.4 on first
// use, symbol lookup, and curl_global_init, all once per process.
#include "engine/sys/curl_api.h"

#include "engine/sys/shared_library.h"

namespace hako::sys::curl {
namespace {

Result<const Api*> load_once() {
    auto lib = TRY(SharedLibrary::open("libcurl.so.4", "libcurl (libcurl.so.4, Debian package libcurl4)"));
    static Api api{};
    CURLcode (*global_init)(long) = nullptr;
    lib.resolve("curl_easy_init", api.easy_init)
        .resolve("curl_easy_setopt", api.easy_setopt)
        .resolve("curl_easy_perform", api.easy_perform)
        .resolve("curl_easy_getinfo", api.easy_getinfo)
        .resolve("curl_easy_cleanup", api.easy_cleanup)
        .resolve("curl_easy_strerror", api.easy_strerror)
        .resolve("curl_slist_append", api.slist_append)
        .resolve("curl_slist_free_all", api.slist_free_all)
        .resolve("curl_global_init", global_init);
    TRY(lib.check());
    if (global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return Error("curl_global_init failed");
    return &api;
}

}  // namespace

Result<const Api*> load() {
    static const Result<const Api*> loaded = load_once();
    return loaded;
}

}  // namespace hako::sys::curl
