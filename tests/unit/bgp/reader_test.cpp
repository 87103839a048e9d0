// The bounds-checked reader and the writer (STYLE.md: no read past the end).
#include "bgp/reader.h"

#include <gtest/gtest.h>

#include "bgp/nlri.h"

namespace fbf::bgp {
namespace {

TEST(Reader, ReadsBigEndianAndRefusesToReadPastTheEnd) {
  const std::vector<std::uint8_t> b{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07};
  Reader r(b);
  EXPECT_EQ(r.u8(), 0x01);
  EXPECT_EQ(r.u16(), 0x0203);
  EXPECT_EQ(r.u32(), 0x04050607u);
  EXPECT_EQ(r.u8(), std::nullopt);
  EXPECT_EQ(r.offset(), 7u);
}

TEST(Reader, FailedReadsConsumeNothing) {
  const std::vector<std::uint8_t> b{0xaa, 0xbb, 0xcc};
  Reader r(b);
  EXPECT_FALSE(r.u32());
  EXPECT_FALSE(r.take(4));
  EXPECT_FALSE(r.skip(4));
  EXPECT_EQ(r.remaining(), 3u);
  EXPECT_EQ(r.u16(), 0xaabb);
  EXPECT_FALSE(r.u16());
  EXPECT_EQ(r.u8(), 0xcc);
  EXPECT_TRUE(r.empty());
  EXPECT_FALSE(r.u8());
  EXPECT_TRUE(r.take(0));
  EXPECT_TRUE(r.rest().empty());
}

TEST(Writer, AppendsAndPatches) {
  std::vector<std::uint8_t> out{0x99};
  Writer w(out);
  w.u8(1);
  w.u16(0x0203);
  w.u32(0x04050607);
  w.patch_u16(1, 0xbeef);
  EXPECT_EQ(out, (std::vector<std::uint8_t>{0x99, 0xbe, 0xef, 0x03, 0x04, 0x05, 0x06, 0x07}));
  w.erase_byte(0);
  EXPECT_EQ(out.size(), 7u);
  EXPECT_EQ(w.at(0), 0xbe);
}

TEST(Nlri, CountsAndDecodesPrefixes) {
  const std::vector<std::uint8_t> field{24, 10, 1, 2, 0, 32, 1, 2, 3, 4, 9, 0x80, 0x80};
  NlriCount c = count_prefixes(field, 32);
  EXPECT_EQ(c.prefixes, 4u);
  EXPECT_EQ(c.error, NlriError::none);
  std::vector<platform::Prefix> p;
  ASSERT_TRUE(decode_prefixes(field, platform::Family::v4, p));
  EXPECT_EQ(p[0].to_string(), "10.1.2.0/24");
  EXPECT_EQ(p[1].to_string(), "0.0.0.0/0");
  EXPECT_EQ(p[3].to_string(), "128.128.0.0/9");
  EXPECT_EQ(count_prefixes(std::vector<std::uint8_t>{33, 1, 2, 3, 4, 5}, 32).error,
            NlriError::prefix_too_long);
  EXPECT_EQ(count_prefixes(std::vector<std::uint8_t>{24, 1, 2}, 32).error, NlriError::overrun);
}

}  // namespace
}  // namespace fbf::bgp
