#include "agent/maintenance_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "platform/unique_fd.h"

namespace fbf::agent {
namespace {

constexpr int kFormatVersion = 1;

std::string errno_text(const std::string& what, const std::filesystem::path& p) {
  return what + " " + p.string() + ": " + std::strerror(errno);
}

std::expected<void, std::string> write_all(int fd, const std::string& data,
                                           const std::filesystem::path& p) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::unexpected(errno_text("write", p));
    }
    done += static_cast<std::size_t>(n);
  }
  return {};
}

}  // namespace

std::filesystem::path maintenance_state_path(const std::filesystem::path& state_dir) {
  return state_dir / "maintenance.json";
}

std::expected<MaintenanceState, std::string> load_maintenance_state(
    const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec) && !ec) return MaintenanceState{};
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::unexpected(errno_text("cannot open", file));
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) return std::unexpected(errno_text("cannot read", file));
  const auto doc = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  const auto bad = [&](const std::string& why) {
    return std::unexpected(file.string() + ": " + why);
  };
  if (doc.is_discarded()) return bad("not valid JSON");
  if (!doc.is_object() || !doc.contains("version") || !doc["version"].is_number_integer())
    return bad("no format version");
  if (doc["version"].get<int>() != kFormatVersion)
    return bad("unknown format version " + doc["version"].dump());
  if (!doc.contains("services") || !doc["services"].is_object()) return bad("no 'services' object");
  MaintenanceState state;
  for (const auto& [name, entry] : doc["services"].items()) {
    if (!entry.is_object() || !entry.contains("phase") || !entry["phase"].is_string())
      return bad("service '" + name + "' has no phase");
    auto phase = parse_maintenance_phase(entry["phase"].get<std::string>());
    if (!phase) return bad("service '" + name + "': unknown phase " + entry["phase"].dump());
    StoredMaintenance s{*phase, 0};
    if (entry.contains("since_unix_ms") && entry["since_unix_ms"].is_number_integer())
      s.since_unix_ms = entry["since_unix_ms"].get<std::int64_t>();
    state.emplace(name, s);
  }
  return state;
}

std::expected<void, std::string> save_maintenance_state(const std::filesystem::path& file,
                                                        const MaintenanceState& state) {
  nlohmann::json services = nlohmann::json::object();
  for (const auto& [name, s] : state)
    services[name] = {{"phase", std::string(to_string(s.phase))},
                      {"since_unix_ms", s.since_unix_ms}};
  const std::string data =
      nlohmann::json{{"version", kFormatVersion}, {"services", services}}.dump(2) + "\n";

  const std::filesystem::path tmp = file.string() + ".tmp";
  platform::UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) return std::unexpected(errno_text("cannot create", tmp));
  if (auto w = write_all(fd.get(), data, tmp); !w) return w;
  if (::fsync(fd.get()) != 0) return std::unexpected(errno_text("fsync", tmp));
  fd.reset();
  if (::rename(tmp.c_str(), file.c_str()) != 0)
    return std::unexpected(errno_text("cannot rename to", file));
  // The rename itself must reach the disk, or a power cut may bring back the
  // old phase.
  const auto dir = file.parent_path().empty() ? std::filesystem::path(".") : file.parent_path();
  platform::UniqueFd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd) ::fsync(dfd.get());
  return {};
}

}  // namespace fbf::agent
