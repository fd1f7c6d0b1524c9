// This file implements the lazy libnftables loader (dlopen of libnftables.so.1 and
// symbol lookup, once per process) and the buffered context over it.
#include "engine/net/nft_api.h"

#include "engine/sys/shared_library.h"

namespace hako::net::nft {
namespace {

Result<const Api*> load_once() {
    auto lib = TRY(sys::SharedLibrary::open(
        "libnftables.so.1", "libnftables (libnftables.so.1, Debian package libnftables1), needed for NAT and "
                            "published ports"));
    static Api api{};
    lib.resolve("nft_ctx_new", api.ctx_new)
        .resolve("nft_ctx_free", api.ctx_free)
        .resolve("nft_ctx_buffer_output", api.ctx_buffer_output)
        .resolve("nft_ctx_buffer_error", api.ctx_buffer_error)
        .resolve("nft_ctx_get_output_buffer", api.ctx_get_output_buffer)
        .resolve("nft_ctx_get_error_buffer", api.ctx_get_error_buffer)
        .resolve("nft_ctx_output_set_flags", api.ctx_output_set_flags)
        .resolve("nft_run_cmd_from_buffer", api.run_cmd_from_buffer);
    TRY(lib.check());
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
