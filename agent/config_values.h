#pragma once
// Internal to the config parser: checks of single string values, kept free of
// TOML so they can be tested on their own.

#include <optional>
#include <string>
#include <string_view>

namespace fbf::agent::config_detail {

// Neighbor and service names appear in logs, metric labels and fbfctl
// arguments: 1..64 of [A-Za-z0-9._-], starting with a letter or digit.
bool valid_name(std::string_view name);
// The unprivileged user: a portable POSIX user name (1..32 of [A-Za-z0-9._-],
// not starting with '-').
bool valid_user_name(std::string_view name);
// Linux IFNAMSIZ allows 15 octets; no '/', ':' or white space.
bool valid_interface_name(std::string_view name);
bool valid_utf8(std::string_view text);
// "host:port" or "[v6]:port", port 1..65535. nullopt = fine, else why not.
std::optional<std::string> host_port_problem(std::string_view text);
// "http://host[:port][/path]". nullopt = fine, else why not.
std::optional<std::string> http_url_problem(std::string_view url);

}  // namespace fbf::agent::config_detail
