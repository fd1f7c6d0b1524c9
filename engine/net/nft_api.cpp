// This file implements the lazy libnftables loader (dlopen of libnftables.so.1 and
// symbol lookup, once per process) and the buffered context over it.
#include "engine/net/nft_api.h"

#include <dlfcn.h>

namespace hako::net::nft {
namespace {

template <typename Fn>
bool resolve(void* lib, const char* name, Fn& out, std::string& missing) {
    out = reinterpret_cast<Fn>(::dlsym(lib, name));
    if (!out) missing = name;
    return out != nullptr;
}

Result<const Api*> load_once() {
    void* lib = ::dlopen("libnftables.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        const char* why = ::dlerror();
        return Error(std::string("cannot load libnftables (libnftables.so.1, Debian package libnftables1), "
                                 "needed for NAT and published ports: ") +
                     (why ? why : "not found"));
    }
    static Api api{};
    std::string missing;
    bool all = resolve(lib, "nft_ctx_new", api.ctx_new, missing) &&
               resolve(lib, "nft_ctx_free", api.ctx_free, missing) &&
               resolve(lib, "nft_ctx_buffer_output", api.ctx_buffer_output, missing) &&
               resolve(lib, "nft_ctx_buffer_error", api.ctx_buffer_error, missing) &&
               resolve(lib, "nft_ctx_get_output_buffer", api.ctx_get_output_buffer, missing) &&
               resolve(lib, "nft_ctx_get_error_buffer", api.ctx_get_error_buffer, missing) &&
               resolve(lib, "nft_ctx_output_set_flags", api.ctx_output_set_flags, missing) &&
               resolve(lib, "nft_run_cmd_from_buffer", api.run_cmd_from_buffer, missing);
    if (!all) return Error("libnftables.so.1 lacks " + missing);
    return &api;
}

}  // namespace

Result<const Api*> load() {
    static const Result<const Api*> loaded = load_once();
    return loaded;
}

Result<Context> Context::open() {
    const Api* api = TRY(load());
    nft_ctx* ctx = api->ctx_new(NFT_CTX_DEFAULT);
    if (!ctx) return Error("nftables: cannot create a context");
    Context context(api, ctx);
    api->ctx_buffer_output(ctx);
    api->ctx_buffer_error(ctx);
    return context;
}

Result<std::string> Context::run(const std::string& script) {
    int rc = api_->run_cmd_from_buffer(ctx_.get(), script.c_str());
    std::string out = api_->ctx_get_output_buffer(ctx_.get());
    std::string err = api_->ctx_get_error_buffer(ctx_.get());
    if (rc != 0) return Error("nftables: " + (err.empty() ? std::string("command failed") : err));
    return out;
}

void Context::set_output_flags(unsigned int flags) { api_->ctx_output_set_flags(ctx_.get(), flags); }

}  // namespace hako::net::nft
