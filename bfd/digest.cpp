#include "bfd/digest.h"

// See digest.h: the allocation-free low-level API is deprecated in OpenSSL 3.
// The headers stay a build requirement: they give the prototypes and the
// context types even where libcrypto is loaded at run time.
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/crypto.h>
#include <openssl/md5.h>
#include <openssl/sha.h>

#ifdef FBF_LIBCRYPTO_SONAME
#include "platform/shared_library.h"
#endif

namespace fbf::bfd {

namespace {

// The libcrypto functions used, typed by their own prototypes.
struct Libcrypto {
  decltype(&MD5_Init) md5_init = nullptr;
  decltype(&MD5_Update) md5_update = nullptr;
  decltype(&MD5_Final) md5_final = nullptr;
  decltype(&SHA1_Init) sha1_init = nullptr;
  decltype(&SHA1_Update) sha1_update = nullptr;
  decltype(&SHA1_Final) sha1_final = nullptr;
  decltype(&OPENSSL_cleanse) cleanse = nullptr;
  decltype(&CRYPTO_memcmp) crypto_memcmp = nullptr;
};

#ifdef FBF_LIBCRYPTO_SONAME

// FBF_LIBCRYPTO_SONAME is the soname of the libcrypto the build found
// (bfd/CMakeLists.txt), so the headers and the loaded library agree.
struct Loaded {
  platform::SharedLibrary library;  // keeps the functions mapped
  Libcrypto functions;
};

std::expected<Loaded, std::string> load() {
  auto library = platform::SharedLibrary::open(FBF_LIBCRYPTO_SONAME);
  if (!library) return std::unexpected(std::move(library.error()));
  Libcrypto f;
  std::string error;
  auto resolve = [&]<typename Fn>(Fn& slot, const char* name) {
    if (!error.empty()) return;
    auto found = library->symbol<Fn>(name);
    if (found)
      slot = *found;
    else
      error = std::move(found.error());
  };
  resolve(f.md5_init, "MD5_Init");
  resolve(f.md5_update, "MD5_Update");
  resolve(f.md5_final, "MD5_Final");
  resolve(f.sha1_init, "SHA1_Init");
  resolve(f.sha1_update, "SHA1_Update");
  resolve(f.sha1_final, "SHA1_Final");
  resolve(f.cleanse, "OPENSSL_cleanse");
  resolve(f.crypto_memcmp, "CRYPTO_memcmp");
  if (!error.empty()) return std::unexpected(std::move(error));
  return Loaded{std::move(*library), f};
}

// Process-wide, built once by the first caller (the configuration of an
// authenticated session, before any of its packets) and immutable after
// that: the packet path only reads it. It is a function-local static rather
// than a member of some owner because md5()/sha1() are free functions of the
// sans-I/O core, and loading a library twice would gain nothing. C++ makes
// the initialization itself thread-safe; fbfd is single-threaded anyway.
const std::expected<Loaded, std::string>& loaded() {
  static const std::expected<Loaded, std::string> crypto = load();
  return crypto;
}

const Libcrypto* libcrypto() {
  const auto& crypto = loaded();
  return crypto ? &crypto->functions : nullptr;
}

}  // namespace

std::expected<void, std::string> digests_available() {
  if (!loaded()) return std::unexpected(loaded().error());
  return {};
}

#else  // linked (OpenBSD: LibreSSL's libcrypto is in base)

constexpr Libcrypto kLinked{&MD5_Init,    &MD5_Update, &MD5_Final,       &SHA1_Init,
                            &SHA1_Update, &SHA1_Final, &OPENSSL_cleanse, &CRYPTO_memcmp};

const Libcrypto* libcrypto() { return &kLinked; }

}  // namespace

std::expected<void, std::string> digests_available() { return {}; }

#endif

std::optional<Md5Digest> md5(std::span<const std::uint8_t> data) {
  const Libcrypto* c = libcrypto();
  if (c == nullptr) return std::nullopt;
  Md5Digest out{};
  MD5_CTX ctx;
  c->md5_init(&ctx);
  c->md5_update(&ctx, data.data(), data.size());
  c->md5_final(out.data(), &ctx);
  c->cleanse(&ctx, sizeof ctx);  // the context held the key
  return out;
}

std::optional<Sha1Hash> sha1(std::span<const std::uint8_t> data) {
  const Libcrypto* c = libcrypto();
  if (c == nullptr) return std::nullopt;
  Sha1Hash out{};
  SHA_CTX ctx;
  c->sha1_init(&ctx);
  c->sha1_update(&ctx, data.data(), data.size());
  c->sha1_final(out.data(), &ctx);
  c->cleanse(&ctx, sizeof ctx);
  return out;
}

void secure_zero(std::span<std::uint8_t> bytes) {
  if (const Libcrypto* c = libcrypto()) {
    c->cleanse(bytes.data(), bytes.size());
    return;
  }
  // Only reached when no key could be configured; zero the bytes anyway.
  volatile std::uint8_t* p = bytes.data();
  for (std::size_t i = 0; i < bytes.size(); ++i) p[i] = 0;
}

bool equal_constant_time(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  const Libcrypto* c = libcrypto();
  return c != nullptr && a.size() == b.size() &&
         c->crypto_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace fbf::bfd
