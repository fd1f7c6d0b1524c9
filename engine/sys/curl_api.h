// This file declares hako's handle on libcurl, loaded with dlopen on first use:
// only registry and ADD-URL work needs it, and linking it directly made every hako
// process (monitors included) pay ~30 ms to load its ~25 dependent libraries.
#pragma once

#include <curl/curl.h>

#include "engine/sys/error.h"

namespace hako::sys::curl {

// The libcurl entry points hako uses, resolved from libcurl.so.4.
struct Api {
    CURL* (*easy_init)();
    CURLcode (*easy_setopt)(CURL*, CURLoption, ...);
    CURLcode (*easy_perform)(CURL*);
    CURLcode (*easy_getinfo)(CURL*, CURLINFO, ...);
    void (*easy_cleanup)(CURL*);
    const char* (*easy_strerror)(CURLcode);
    curl_slist* (*slist_append)(curl_slist*, const char*);
    void (*slist_free_all)(curl_slist*);
};

// Loads libcurl and runs curl_global_init once (thread-safe); an error names the
// library and says which package provides it.
Result<const Api*> load();

}  // namespace hako::sys::curl
