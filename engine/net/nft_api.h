// This file declares hako's handle on libnftables, loaded with dlopen on first use:
// only NAT and published-port work needs it, and linking it directly made every hako
// process (monitors included) load and relocate it and its five dependent libraries.
#pragma once

#include <nftables/libnftables.h>

#include <memory>
#include <string>

#include "engine/sys/error.h"

namespace hako::net::nft {

// The libnftables entry points hako uses, resolved from libnftables.so.1.
struct Api {
    decltype(&::nft_ctx_new) ctx_new;
    decltype(&::nft_ctx_free) ctx_free;
    decltype(&::nft_ctx_buffer_output) ctx_buffer_output;
    decltype(&::nft_ctx_buffer_error) ctx_buffer_error;
    decltype(&::nft_ctx_get_output_buffer) ctx_get_output_buffer;
    decltype(&::nft_ctx_get_error_buffer) ctx_get_error_buffer;
    decltype(&::nft_ctx_output_set_flags) ctx_output_set_flags;
    decltype(&::nft_run_cmd_from_buffer) run_cmd_from_buffer;
};

// Loads libnftables once (thread-safe); an error names the library and says which
// package provides it.
Result<const Api*> load();

// One libnftables context whose output and errors are buffered, freed on destruction.
class Context {
public:
    // Loads the library when needed and makes a context.
    static Result<Context> open();

    // Runs an nft script; its output on success, its error text in the Error.
    Result<std::string> run(const std::string& script);
    // NFT_CTX_OUTPUT_* flags for the next runs (0: plain text).
    void set_output_flags(unsigned int flags);

private:
    Context(const Api* api, nft_ctx* ctx) : api_(api), ctx_(ctx, api->ctx_free) {}
    const Api* api_;
    std::unique_ptr<nft_ctx, void (*)(nft_ctx*)> ctx_;
};

}  // namespace hako::net::nft
