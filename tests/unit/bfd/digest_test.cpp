// bfd/digest.h against the published test vectors (RFC 1321 appendix A.5,
// FIPS 180 / RFC 3174 §7.3), through the libcrypto loaded on first use.
#include "bfd/digest.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace fbf::bfd {
namespace {

std::span<const std::uint8_t> bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

template <std::size_t N>
std::string hex(const std::array<std::uint8_t, N>& digest) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (auto b : digest) {
    out += kDigits[b >> 4];
    out += kDigits[b & 0xf];
  }
  return out;
}

TEST(Digest, LibcryptoIsAvailable) {
  auto available = digests_available();
  EXPECT_TRUE(available) << available.error();
}

TEST(Digest, Md5Rfc1321Vectors) {
  EXPECT_EQ(hex(*md5(bytes(""))), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(hex(*md5(bytes("abc"))), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(hex(*md5(bytes("message digest"))), "f96b697d7cb7938d525a2f31aaf161d0");
  EXPECT_EQ(hex(*md5(bytes("12345678901234567890123456789012345678901234567890123456789012345678"
                           "901234567890"))),
            "57edf4a22be3c955ac49da2e2107b67a");
}

TEST(Digest, Sha1Fips180Vectors) {
  EXPECT_EQ(hex(*sha1(bytes(""))), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(hex(*sha1(bytes("abc"))), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(hex(*sha1(bytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
}

TEST(Digest, ConstantTimeCompareAndZeroing) {
  EXPECT_TRUE(equal_constant_time(bytes("secret"), bytes("secret")));
  EXPECT_FALSE(equal_constant_time(bytes("secret"), bytes("secreT")));
  EXPECT_FALSE(equal_constant_time(bytes("secret"), bytes("secrets")));
  std::vector<std::uint8_t> key = {1, 2, 3, 4, 5};
  secure_zero(key);
  EXPECT_EQ(key, std::vector<std::uint8_t>(5, 0));
}

}  // namespace
}  // namespace fbf::bfd
