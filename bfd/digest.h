#pragma once
// MD5 and SHA1 over a short buffer, without heap allocation (RFC 5880 §6.7.3,
// §6.7.4 are on the per-packet path).
//
// Why not EVP: with OpenSSL 3.0, EVP_DigestInit_ex() allocates a provider
// context on every call, even on a reused EVP_MD_CTX, and SHA1()/EVP_Digest()
// allocate a context per call (measured with CRYPTO_set_mem_functions). The
// low-level MD5_*/SHA1_* functions work on a stack context and allocate
// nothing; OpenSSL 3 marks them deprecated, so only digest.cpp uses them.

#include <array>
#include <cstdint>
#include <span>

#include "bfd/packet.h"

namespace fbf::bfd {

using Md5Digest = std::array<std::uint8_t, kMd5DigestLength>;
using Sha1Hash = std::array<std::uint8_t, kSha1HashLength>;

Md5Digest md5(std::span<const std::uint8_t> data);
Sha1Hash sha1(std::span<const std::uint8_t> data);

// Zeroes key material in a way the compiler may not elide (OPENSSL_cleanse).
void secure_zero(std::span<std::uint8_t> bytes);

// Constant-time comparison of equal-length byte strings (CRYPTO_memcmp).
bool equal_constant_time(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b);

}  // namespace fbf::bfd
