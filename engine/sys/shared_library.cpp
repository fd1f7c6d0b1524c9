// This file implements SharedLibrary (shared_library.h) over dlopen and dlsym.
#include "engine/sys/shared_library.h"

#include <dlfcn.h>

namespace hako::sys {

Result<SharedLibrary> SharedLibrary::open(const char* soname, const std::string& description) {
    void* handle = ::dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char* why = ::dlerror();
        return Error("cannot load " + description + ": " + (why ? why : "not found"));
    }
    return SharedLibrary(soname, handle);
}

void* SharedLibrary::symbol(const char* name) const { return ::dlsym(handle_, name); }

Result<void> SharedLibrary::check() const {
    if (!missing_.empty()) return Error(soname_ + " lacks " + missing_);
    return ok();
}

}  // namespace hako::sys
