// The fuzz seed corpus (tests/fuzz/corpus/bfd_packet/) is golden output of
// the encoder: one valid packet per Auth Type, plus a flag-rich one without.
// FBF_REGENERATE_CORPUS=1 rewrites the files from the code below.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "bfd/auth.h"
#include "bfd/packet.h"

namespace fbf::bfd {
namespace {

using Bytes = std::vector<std::uint8_t>;

const std::filesystem::path kCorpus =
    std::filesystem::path(__FILE__).parent_path() / "../../fuzz/corpus/bfd_packet";

ControlPacket base() {
  ControlPacket p;
  p.state = State::Up;
  p.detect_mult = 3;
  p.my_discriminator = 0x11223344;
  p.your_discriminator = 0x55667788;
  p.desired_min_tx_interval = 300'000;
  p.required_min_rx_interval = 300'000;
  return p;
}

struct Seed {
  std::string name;
  Bytes bytes;
};

std::vector<Seed> seeds() {
  std::vector<Seed> out;
  auto plain = encode(base());
  out.push_back({"no_auth", Bytes(plain->bytes().begin(), plain->bytes().end())});

  ControlPacket down;
  down.diag = Diag::ControlDetectionTimeExpired;
  down.poll = true;
  down.control_plane_independent = true;
  down.detect_mult = 5;
  down.my_discriminator = 1;
  down.desired_min_tx_interval = 1'000'000;
  down.required_min_rx_interval = 1'000'000;
  down.required_min_echo_rx_interval = 50'000;
  auto d = encode(down);
  out.push_back({"down_poll_cpi", Bytes(d->bytes().begin(), d->bytes().end())});

  const struct {
    const char* name;
    AuthType type;
    std::uint8_t key_id;
    std::string key;
    std::uint32_t sequence;
  } authed[] = {
      {"simple_password", AuthType::SimplePassword, 5, "password", 0},
      {"keyed_md5", AuthType::KeyedMd5, 7, "secret", 0x01020304},
      {"meticulous_keyed_md5", AuthType::MeticulousKeyedMd5, 7, "secret", 0x01020304},
      {"keyed_sha1", AuthType::KeyedSha1, 7, "secret", 0x01020304},
      {"meticulous_keyed_sha1", AuthType::MeticulousKeyedSha1, 7, "secret", 0xfffffffe},
  };
  for (const auto& a : authed) {
    auto config = make_auth_config(a.type, a.key_id, Bytes(a.key.begin(), a.key.end()));
    ControlPacket p = base();
    p.auth = make_auth_section(*config, a.sequence);
    auto wire = encode_signed(p, *config);
    out.push_back({a.name, Bytes(wire->bytes().begin(), wire->bytes().end())});
  }
  return out;
}

TEST(FuzzCorpus, MatchesTheEncoder) {
  const bool regenerate = std::getenv("FBF_REGENERATE_CORPUS") != nullptr;
  for (const auto& seed : seeds()) {
    const auto path = kCorpus / seed.name;
    if (regenerate) {
      std::filesystem::create_directories(kCorpus);
      std::ofstream(path, std::ios::binary)
          .write(reinterpret_cast<const char*>(seed.bytes.data()),
                 static_cast<std::streamsize>(seed.bytes.size()));
    }
    std::ifstream in(path, std::ios::binary);
    ASSERT_TRUE(in) << path << " (FBF_REGENERATE_CORPUS=1 writes it)";
    Bytes stored((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(stored, seed.bytes) << seed.name;
    EXPECT_TRUE(decode(stored)) << seed.name;
  }
}

}  // namespace
}  // namespace fbf::bfd
