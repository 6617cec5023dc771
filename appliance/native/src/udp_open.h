// Opening a UDP socket the way every riffbox audio socket is opened (the server's NativeUdpSocket and the
// client's real-time path): non-blocking, buffers as asked, DSCP CS4 like Jamulus, bound. Addresses are
// kept as sockaddr_storage so an IPv6 family can be added without changing the callers' shape.
#pragma once
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>

namespace riffbox {

// A peer's (or a bind) address, whatever its family.
struct PeerAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;

  static PeerAddress Ipv4(uint32_t hostOrderAddr, uint16_t port);
  // "::" binds dual-stack: IPv4 peers then arrive as IPv4-mapped addresses on the same socket.
  static PeerAddress Ipv6(const in6_addr& addr, uint16_t port);
  bool valid() const { return length != 0; }
  const sockaddr* sa() const { return reinterpret_cast<const sockaddr*>(&storage); }
  // Same family, address and port as a sender the kernel reported.
  bool Matches(const sockaddr_storage& other) const;
};

// The IPv4 address (host order) and port of a sockaddr, or false for another family.
bool ipv4Of(const sockaddr_storage& s, uint32_t* hostOrderAddr, uint16_t* port);
std::string ipv4String(uint32_t hostOrder);
// "EADDRINUSE", or "errno N".
std::string errnoName(int err);

struct UdpOpenResult {
  int fd = -1;
  uint16_t port = 0;
  bool dscp = false;
  int recvBufferBytes = 0;  // what the kernel granted
  int sendBufferBytes = 0;
  // On failure (fd −1): the system call, what it was doing, and errno.
  const char* syscall = nullptr;
  const char* detail = nullptr;
  int err = 0;
};

// recvBufferBytes / sendBufferBytes 0 leave the kernel's defaults.
UdpOpenResult openUdpSocket(const PeerAddress& bind, int recvBufferBytes, int sendBufferBytes);

}  // namespace riffbox
