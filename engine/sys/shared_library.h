// This file declares the loading of an optional shared library with dlopen and the
// lookup of its entry points, for libraries only some commands need (libcurl):
// linked directly, every hako process would pay for relocating them.
#pragma once

#include <string>

#include "engine/sys/error.h"

namespace hako::sys {

// A library loaded for the rest of the process (never closed: its functions are
// kept in tables of pointers).
class SharedLibrary {
public:
    // dlopen(soname); an error says "cannot load <description>: <dlerror>", so the
    // description should name the library and the Debian package that provides it.
    static Result<SharedLibrary> open(const char* soname, const std::string& description);

    // Sets `out` to the symbol `name`; after the first missing one, does nothing.
    template <typename Fn>
    SharedLibrary& resolve(const char* name, Fn& out) {
        if (missing_.empty()) {
            out = reinterpret_cast<Fn>(symbol(name));
            if (!out) missing_ = name;
        }
        return *this;
    }
    // An error naming the first symbol that resolve did not find.
    Result<void> check() const;

private:
    SharedLibrary(const char* soname, void* handle) : soname_(soname), handle_(handle) {}
    void* symbol(const char* name) const;
    std::string soname_;
    void* handle_;
    std::string missing_;
};

}  // namespace hako::sys
