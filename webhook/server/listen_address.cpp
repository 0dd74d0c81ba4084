// --listen parsing.
#include "webhook/server/listen_address.h"

#include <charconv>
#include <string>

namespace memguard::server {

Expected<boost::asio::ip::tcp::endpoint> parse_listen_address(std::string_view text) {
  const std::string shown(text);
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return make_error(ErrorCode::kInvalidArgument, "--listen '" + shown + "' must be HOST:PORT, e.g. 0.0.0.0:8443");
  }
  std::string_view host = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535) {
    return make_error(ErrorCode::kInvalidArgument, "--listen '" + shown + "': port must be a number from 0 to 65535");
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return make_error(ErrorCode::kInvalidArgument, "--listen '" + shown + "': write IPv6 addresses in brackets, e.g. [::]:8443");
  }
  boost::asio::ip::address address = boost::asio::ip::address_v4::any();
  if (!host.empty()) {
    boost::system::error_code parse_ec;
    address = boost::asio::ip::make_address(std::string(host), parse_ec);
    if (parse_ec) {
      return make_error(ErrorCode::kInvalidArgument,
                        "--listen '" + shown + "': '" + std::string(host) + "' is not an IP address (names are not resolved)");
    }
  }
  return boost::asio::ip::tcp::endpoint(address, static_cast<unsigned short>(port));
}

}  // namespace memguard::server
