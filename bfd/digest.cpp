#include "bfd/digest.h"

// See digest.h: the allocation-free low-level API is deprecated in OpenSSL 3.
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/crypto.h>
#include <openssl/md5.h>
#include <openssl/sha.h>

namespace fbf::bfd {

Md5Digest md5(std::span<const std::uint8_t> data) {
  Md5Digest out{};
  MD5_CTX ctx;
  MD5_Init(&ctx);
  MD5_Update(&ctx, data.data(), data.size());
  MD5_Final(out.data(), &ctx);
  OPENSSL_cleanse(&ctx, sizeof ctx);  // the context held the key
  return out;
}

Sha1Hash sha1(std::span<const std::uint8_t> data) {
  Sha1Hash out{};
  SHA_CTX ctx;
  SHA1_Init(&ctx);
  SHA1_Update(&ctx, data.data(), data.size());
  SHA1_Final(out.data(), &ctx);
  OPENSSL_cleanse(&ctx, sizeof ctx);
  return out;
}

void secure_zero(std::span<std::uint8_t> bytes) { OPENSSL_cleanse(bytes.data(), bytes.size()); }

bool equal_constant_time(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace fbf::bfd
