// This file implements the sha256 helpers of digest.h on OpenSSL's EVP API.
#include "engine/sys/digest.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstdlib>

#include "engine/sys/fd.h"

namespace hako::sys {

void Sha256::CtxFree::operator()(evp_md_ctx_st* ctx) const { EVP_MD_CTX_free(ctx); }

namespace {

// Hashing needs no configuration: without this, OpenSSL's first use reads
// /usr/lib/ssl/openssl.cnf (and what it includes) in every hako process.
bool init_crypto() {
    static const bool done = OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, nullptr) == 1;
    return done;
}

}  // namespace

Sha256::Sha256() : ctx_((init_crypto(), EVP_MD_CTX_new())) {
    // Allocation or init failing leaves no sane way to hash: stop the program.
    if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1) std::abort();
}
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;
Sha256::~Sha256() = default;

void Sha256::update(const void* data, size_t size) {
    if (size != 0) EVP_DigestUpdate(ctx_.get(), data, size);
}

std::string Sha256::hex_final() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    EVP_DigestFinal_ex(ctx_.get(), md, &md_len);
    static const char digits[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(md_len * 2);
    for (unsigned i = 0; i < md_len; ++i) {
        hex += digits[md[i] >> 4];
        hex += digits[md[i] & 15];
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
