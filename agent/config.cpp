// parse_config(): TOML text -> validated Config, or every error in the file.
// The section readers live in config_agent/bfd/neighbor/service.cpp, the
// cross-checks in config_validate.cpp.
#include "agent/config.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "agent/config_reader.h"
#include "agent/config_sections.h"

namespace fbf::agent {

std::string ConfigError::to_string() const {
  if (line == 0) return file + ": " + message;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

ConfigResult parse_config(std::string_view text, std::string_view file_name) {
  using namespace config_detail;
  Diagnostics diag{std::string(file_name)};
  toml::table root;
  try {
    root = toml::parse(text, file_name);
  } catch (const toml::parse_error& e) {
    // toml++ stops at the first syntax error: nothing after it can be trusted.
    const auto& at = e.source().begin;
    diag.error({static_cast<int>(at.line), static_cast<int>(at.column)},
               std::string(e.description()));
    return std::unexpected(diag.take_sorted());
  } catch (const std::exception& e) {  // allocation failure and the like
    diag.error({}, e.what());
    return std::unexpected(diag.take_sorted());
  }

  Config config;
  config.source = std::filesystem::path(file_name);
  Sites sites;
  TableReader r(root, "", diag);
  read_agent(r, config);
  read_bfd_defaults(r, config);  // before the sessions that inherit from it
  read_neighbors(r, config, sites);
  read_bfd_peers(r, config, sites);
  read_services(r, config, sites);
  read_maintenance(r, config);
  static constexpr std::string_view kSections[] = {"agent",    "bfd",     "neighbor",
                                                   "bfd_peer", "service", "maintenance"};
  r.finish(kSections);
  cross_check(config, sites, diag);

  if (diag.count() != 0) return std::unexpected(diag.take_sorted());
  return config;
}

ConfigResult load_config(const std::filesystem::path& path) {
  const auto name = path.string();
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    return std::unexpected(std::vector{ConfigError{name, 0, 0, "is a directory"}});
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    return std::unexpected(
        std::vector{ConfigError{name, 0, 0, std::string("cannot read: ") + std::strerror(err)}});
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return std::unexpected(std::vector{ConfigError{name, 0, 0, "read error"}});
  return parse_config(text.str(), name);
}

std::string_view to_string(LogLevel v) {
  switch (v) {
    case LogLevel::trace:
      return "trace";
    case LogLevel::debug:
      return "debug";
    case LogLevel::info:
      return "info";
    case LogLevel::warn:
      return "warn";
    case LogLevel::error:
      return "error";
  }
  return "?";
}

std::string_view to_string(BfdAuthType v) {
  switch (v) {
    case BfdAuthType::none:
      return "none";
    case BfdAuthType::simple:
      return "simple";
    case BfdAuthType::keyed_md5:
      return "keyed-md5";
    case BfdAuthType::meticulous_keyed_md5:
      return "meticulous-keyed-md5";
    case BfdAuthType::keyed_sha1:
      return "keyed-sha1";
    case BfdAuthType::meticulous_keyed_sha1:
      return "meticulous-keyed-sha1";
  }
  return "?";
}

std::string_view to_string(AddressFamily v) {
  switch (v) {
    case AddressFamily::ipv4_unicast:
      return "ipv4-unicast";
    case AddressFamily::ipv6_unicast:
      return "ipv6-unicast";
  }
  return "?";
}

std::string_view to_string(CheckType v) {
  switch (v) {
    case CheckType::tcp:
      return "tcp";
    case CheckType::http:
      return "http";
    case CheckType::dns:
      return "dns";
    case CheckType::exec:
      return "exec";
  }
  return "?";
}

std::string_view to_string(OnFailure v) {
  switch (v) {
    case OnFailure::withdraw:
      return "withdraw";
    case OnFailure::degrade:
      return "degrade";
  }
  return "?";
}

}  // namespace fbf::agent
