// Parses --listen: "HOST:PORT" with an IPv4 or bracketed IPv6 literal, or ":PORT" for all
// interfaces. No name resolution, so startup never waits on DNS.
#pragma once

#include <string_view>

#include <boost/asio/ip/tcp.hpp>

#include "support/expected.h"

namespace memguard::server {

Expected<boost::asio::ip::tcp::endpoint> parse_listen_address(std::string_view text);

}  // namespace memguard::server
