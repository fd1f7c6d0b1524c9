// This file implements sha256 digests in the OCI form "sha256:<64 hex>": a
// streaming hasher (libcrypto's SHA-256) and helpers to hash strings and files.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "engine/sys/error.h"

struct SHA256state_st;

namespace hako::sys {

class Sha256 {
public:
    Sha256();
    Sha256(Sha256&&) noexcept;
    Sha256& operator=(Sha256&&) noexcept;
    ~Sha256();

    void update(const void* data, size_t size);
    void update(std::string_view data) { update(data.data(), data.size()); }
    // The 64 lowercase hex digits; the hasher cannot be updated afterwards.
    std::string hex_final();
    // "sha256:" + hex_final().
    std::string digest_final() { return "sha256:" + hex_final(); }

private:
    struct CtxFree {
        void operator()(SHA256state_st* ctx) const;
    };
    std::unique_ptr<SHA256state_st, CtxFree> ctx_;
};

// "sha256:<hex>" of `data`.
std::string sha256_digest(std::string_view data);
// "sha256:<hex>" of a file's content, read in 64 KiB blocks.
Result<std::string> sha256_file_digest(const std::filesystem::path& path);

// True when `digest` is "sha256:" followed by exactly 64 lowercase hex digits.
bool is_sha256_digest(std::string_view digest);
// Checks a digest and returns its hex part; the error names what was wrong.
Result<std::string> digest_hex(std::string_view digest);
// True for 1..64 lowercase hex digits.
bool is_hex(std::string_view text);

}  // namespace hako::sys
