// platform::SharedLibrary against real libraries: glibc's libc and libm are
// on every Linux host this builds on (their sonames are glibc's).
#include "platform/shared_library.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <utility>

namespace fbf::platform {
namespace {

#ifdef __GLIBC__

TEST(SharedLibrary, ResolvesAFunctionAndCallsIt) {
  auto libm = SharedLibrary::open("libm.so.6");
  ASSERT_TRUE(libm) << libm.error();
  auto hypot = libm->symbol<double (*)(double, double)>("hypot");
  ASSERT_TRUE(hypot) << hypot.error();
  EXPECT_DOUBLE_EQ((*hypot)(3.0, 4.0), 5.0);

  auto libc = SharedLibrary::open("libc.so.6");
  ASSERT_TRUE(libc) << libc.error();
  auto strlen = libc->symbol<decltype(&std::strlen)>("strlen");
  ASSERT_TRUE(strlen) << strlen.error();
  EXPECT_EQ((*strlen)("fbfd"), 4u);
}

TEST(SharedLibrary, MovedHandleStaysUsable) {
  auto opened = SharedLibrary::open("libm.so.6");
  ASSERT_TRUE(opened) << opened.error();
  SharedLibrary libm = std::move(*opened);  // the moved-from one closes nothing
  SharedLibrary other = std::move(libm);
  auto hypot = other.symbol<double (*)(double, double)>("hypot");
  ASSERT_TRUE(hypot) << hypot.error();
  EXPECT_DOUBLE_EQ((*hypot)(6.0, 8.0), 10.0);
}

TEST(SharedLibrary, MissingLibraryIsAnErrorNamingIt) {
  auto missing = SharedLibrary::open("libfbf-no-such-library.so.0");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().find("libfbf-no-such-library.so.0"), std::string::npos)
      << missing.error();
  EXPECT_NE(missing.error().find("No such file"), std::string::npos) << missing.error();
}

TEST(SharedLibrary, MissingSymbolIsAnErrorNamingIt) {
  auto libm = SharedLibrary::open("libm.so.6");
  ASSERT_TRUE(libm) << libm.error();
  auto missing = libm->symbol<void (*)()>("fbf_no_such_function");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().find("fbf_no_such_function"), std::string::npos) << missing.error();
  // A failed lookup leaves the library usable.
  EXPECT_TRUE(libm->symbol<double (*)(double, double)>("hypot"));
}

#endif  // __GLIBC__

}  // namespace
}  // namespace fbf::platform
