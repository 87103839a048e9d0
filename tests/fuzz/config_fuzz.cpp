// Fuzzes the configuration parser: any bytes as a file must give a Config or
// a list of located errors — never a crash, a throw, or an unlocated error.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "agent/config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto result = fbf::agent::parse_config(text, "fuzz.toml");
  if (result) {
    // A valid config dumps to a canonical form that parses to the same dump.
    const std::string dump = fbf::agent::dump_config(*result, fbf::agent::Secrets::show);
    auto again = fbf::agent::parse_config(dump, "dump.toml");
    if (!again || fbf::agent::dump_config(*again, fbf::agent::Secrets::show) != dump) std::abort();
  } else {
    if (result.error().empty()) std::abort();
    for (const auto& e : result.error())
      if (e.file != "fuzz.toml" || e.message.empty()) std::abort();
  }
  return 0;
}
