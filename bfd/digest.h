#pragma once
// MD5 and SHA1 over a short buffer, without heap allocation (RFC 5880 §6.7.3,
// §6.7.4 are on the per-packet path).
//
// Why not EVP: with OpenSSL 3.0, EVP_DigestInit_ex() allocates a provider
// context on every call, even on a reused EVP_MD_CTX, and SHA1()/EVP_Digest()
// allocate a context per call (measured with CRYPTO_set_mem_functions). The
// low-level MD5_*/SHA1_* functions work on a stack context and allocate
// nothing; OpenSSL 3 marks them deprecated, so only digest.cpp uses them.
//
// On Linux libcrypto is not linked but loaded on first use (dlopen): most
// deployments configure no BFD authentication and should not carry its
// pages (docs/architecture.md, "Module borders"). Configuring authentication calls
// digests_available() first, so a host without libcrypto fails there, at
// start or reload, and never on the packet path.

#include <array>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>

#include "bfd/packet.h"

namespace fbf::bfd {

using Md5Digest = std::array<std::uint8_t, kMd5DigestLength>;
using Sha1Hash = std::array<std::uint8_t, kSha1HashLength>;

// Loads libcrypto when it is not yet (the first call; later calls only look).
// Error: why it cannot be used, e.g. "libcrypto.so.3: cannot open shared
// object file: No such file or directory". The outcome holds for the life of
// the process: after installing libcrypto, restart fbfd.
std::expected<void, std::string> digests_available();

// nullopt only when digests_available() fails.
std::optional<Md5Digest> md5(std::span<const std::uint8_t> data);
std::optional<Sha1Hash> sha1(std::span<const std::uint8_t> data);

// Zeroes key material in a way the compiler may not elide (OPENSSL_cleanse;
// a volatile loop should libcrypto be missing).
void secure_zero(std::span<std::uint8_t> bytes);

// Constant-time comparison of equal-length byte strings (CRYPTO_memcmp).
// False when libcrypto is missing: authentication fails closed.
bool equal_constant_time(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b);

}  // namespace fbf::bfd
