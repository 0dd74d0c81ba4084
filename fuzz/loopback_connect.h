// A blocking connect to a loopback port that a signal cannot break. libFuzzer's watchdog for
// -timeout is SIGALRM, every -timeout/2+1 seconds, handled on the fuzzing thread and installed
// without SA_RESTART: a blocking call there fails with EINTR, and asio's connect throws it
// ("connect: Interrupted system call" ended a fuzz_tls_stream run). Blocking the signal instead
// would silence the watchdog, which ignores an alarm taken on any other thread.
#pragma once

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string>

#include <boost/asio/ip/tcp.hpp>

#include "fuzz/fuzz_check.h"

namespace memguard::fuzz {

inline void connect_loopback(boost::asio::ip::tcp::socket& socket, unsigned short port) {
  socket.open(boost::asio::ip::tcp::v4());
  const int fd = socket.native_handle();
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0) return;
  FUZZ_CHECK(errno == EINTR, std::string("connect: ") + std::strerror(errno));
  // Interrupted, the connection goes on being made: wait until it is, then read how it went.
  pollfd wait{fd, POLLOUT, 0};
  while (::poll(&wait, 1, -1) < 0) FUZZ_CHECK(errno == EINTR, std::string("poll: ") + std::strerror(errno));
  int error = 0;
  socklen_t length = sizeof error;
  FUZZ_CHECK(::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 && error == 0,
             std::string("connect: ") + std::strerror(error));
}

}  // namespace memguard::fuzz
