// This file implements the sha256 helpers of digest.h on libcrypto's SHA-256
// functions (the assembly ones EVP uses too).
//
// Not EVP: the first EVP digest of a process initialises OpenSSL 3's provider
// tables, ~1.5 ms that every hako command (and the monitor of every container
// start) paid for hashing a few hundred bytes; SHA256_Init costs nothing up front.
// The functions are marked deprecated in OpenSSL 3 but stay in its 3.x API.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "engine/sys/digest.h"

#include <fcntl.h>
#include <openssl/sha.h>

#include <cstdlib>

#include "engine/sys/fd.h"

namespace hako::sys {

void Sha256::CtxFree::operator()(SHA256state_st* ctx) const { delete ctx; }

Sha256::Sha256() : ctx_(new SHA256_CTX) {
    if (SHA256_Init(ctx_.get()) != 1) std::abort();  // cannot fail for SHA-256; no sane way on if it did
}
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;
Sha256::~Sha256() = default;

void Sha256::update(const void* data, size_t size) {
    if (size != 0) SHA256_Update(ctx_.get(), data, size);
}

std::string Sha256::hex_final() {
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256_Final(md, ctx_.get());
    static const char digits[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(sizeof md * 2);
    for (unsigned char byte : md) {
        hex += digits[byte >> 4];
        hex += digits[byte & 15];
    }
    return hex;
}

std::string sha256_digest(std::string_view data) {
    Sha256 h;
    h.update(data);
    return h.digest_final();
}

Result<std::string> sha256_file_digest(const std::filesystem::path& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return Error::from_syscall("open", errno, path.string());
    Sha256 h;
    char buf[65536];
    while (true) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            return Error::from_syscall("read", errno, path.string());
        }
        if (n == 0) break;
        h.update(buf, size_t(n));
    }
    return h.digest_final();
}

bool is_hex(std::string_view text) {
    if (text.empty() || text.size() > 64) return false;
    for (char c : text) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    }
    return true;
}

bool is_sha256_digest(std::string_view digest) {
    return digest.size() == 71 && digest.substr(0, 7) == "sha256:" && is_hex(digest.substr(7));
}

Result<std::string> digest_hex(std::string_view digest) {
    if (!is_sha256_digest(digest)) {
        return Error("invalid digest \"" + std::string(digest) +
                     "\": expected sha256: followed by 64 lowercase hex digits");
    }
    return std::string(digest.substr(7));
}

}  // namespace hako::sys
