// This file implements the lazy libcurl loader: dlopen of libcurl.so.4 on first
// use, symbol lookup, and curl_global_init, all once per process.
#include "engine/sys/curl_api.h"

#include <dlfcn.h>

#include <string>

namespace hako::sys::curl {
namespace {

template <typename Fn>
bool resolve(void* lib, const char* name, Fn& out, std::string& missing) {
    out = reinterpret_cast<Fn>(::dlsym(lib, name));
    if (!out) missing = name;
    return out != nullptr;
}

Result<const Api*> load_once() {
    void* lib = ::dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        const char* why = ::dlerror();
        return Error(std::string("cannot load libcurl (libcurl.so.4, Debian package libcurl4): ") +
                     (why ? why : "not found"));
    }
    static Api api{};
    std::string missing;
    CURLcode (*global_init)(long) = nullptr;
    bool all = resolve(lib, "curl_easy_init", api.easy_init, missing) &&
               resolve(lib, "curl_easy_setopt", api.easy_setopt, missing) &&
               resolve(lib, "curl_easy_perform", api.easy_perform, missing) &&
               resolve(lib, "curl_easy_getinfo", api.easy_getinfo, missing) &&
               resolve(lib, "curl_easy_cleanup", api.easy_cleanup, missing) &&
               resolve(lib, "curl_easy_strerror", api.easy_strerror, missing) &&
               resolve(lib, "curl_slist_append", api.slist_append, missing) &&
               resolve(lib, "curl_slist_free_all", api.slist_free_all, missing) &&
               resolve(lib, "curl_global_init", global_init, missing);
    if (!all) return Error("libcurl.so.4 lacks " + missing);
    if (global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return Error("curl_global_init failed");
    return &api;
}

}  // namespace

Result<const Api*> load() {
    static const Result<const Api*> loaded = load_once();
    return loaded;
}

}  // namespace hako::sys::curl
