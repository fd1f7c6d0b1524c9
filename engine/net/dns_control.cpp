// This file implements dns::sync (dns_control.h); the responder arrives with engine/net/dns_*.
#include "engine/net/dns_control.h"

namespace hako::dns {

Result<void> sync(const std::filesystem::path&) { return ok(); }

}  // namespace hako::dns
