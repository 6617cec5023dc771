#include "udp_open.h"

#include <arpa/inet.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace riffbox {

namespace {
// DSCP CS4 (the TOS byte 128), what Jamulus sets on its audio socket.
constexpr int kTos = 128;
}  // namespace

PeerAddress PeerAddress::Ipv4(uint32_t hostOrderAddr, uint16_t port) {
  PeerAddress p;
  auto* in = reinterpret_cast<sockaddr_in*>(&p.storage);
  in->sin_family = AF_INET;
  in->sin_addr.s_addr = htonl(hostOrderAddr);
  in->sin_port = htons(port);
  p.length = sizeof(sockaddr_in);
  return p;
}

PeerAddress PeerAddress::Ipv6(const in6_addr& addr, uint16_t port) {
  PeerAddress p;
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&p.storage);
  in6->sin6_family = AF_INET6;
  in6->sin6_addr = addr;
  in6->sin6_port = htons(port);
  p.length = sizeof(sockaddr_in6);
  return p;
}

bool PeerAddress::Matches(const sockaddr_storage& other) const {
  if (length == 0 || other.ss_family != storage.ss_family) return false;
  if (storage.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&storage);
    const auto* b = reinterpret_cast<const sockaddr_in*>(&other);
    return a->sin_addr.s_addr == b->sin_addr.s_addr && a->sin_port == b->sin_port;
  }
  return false;
}

bool ipv4Of(const sockaddr_storage& s, uint32_t* hostOrderAddr, uint16_t* port) {
  if (s.ss_family != AF_INET) return false;
  const auto* in = reinterpret_cast<const sockaddr_in*>(&s);
  *hostOrderAddr = ntohl(in->sin_addr.s_addr);
  *port = ntohs(in->sin_port);
  return true;
}

std::string ipv4String(uint32_t hostOrder) {
  in_addr a{};
  a.s_addr = htonl(hostOrder);
  char buf[INET_ADDRSTRLEN];
  return inet_ntop(AF_INET, &a, buf, sizeof buf) != nullptr ? std::string(buf) : std::string("?");
}

std::string errnoName(int err) {
  const char* name = strerrorname_np(err);
  return name != nullptr ? std::string(name) : "errno " + std::to_string(err);
}

UdpOpenResult openUdpSocket(const PeerAddress& bind, int recvBufferBytes, int sendBufferBytes) {
  UdpOpenResult r;
  auto fail = [&](const char* syscall, const char* detail) {
    r.syscall = syscall;
    r.detail = detail;
    r.err = errno;
    if (r.fd >= 0) ::close(r.fd);
    r.fd = -1;
    return r;
  };
  r.fd = socket(bind.storage.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (r.fd < 0) return fail("socket", "udp");
  const bool v6 = bind.storage.ss_family == AF_INET6;
  if (v6) {
    // Dual-stack on "::"; a specific IPv6 address serves IPv6 only.
    const int v6only = IN6_IS_ADDR_UNSPECIFIED(&reinterpret_cast<const sockaddr_in6*>(&bind.storage)->sin6_addr) ? 0 : 1;
    if (setsockopt(r.fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only) != 0) return fail("setsockopt", "IPV6_V6ONLY");
  }
  // The FORCE variants pass net.core.[rw]mem_max when the process may (CAP_NET_ADMIN); the plain ones are
  // capped there silently. The kernel doubles the value for its bookkeeping; the result reports what it granted.
  if (recvBufferBytes > 0 && setsockopt(r.fd, SOL_SOCKET, SO_RCVBUFFORCE, &recvBufferBytes, sizeof(int)) != 0 &&
      setsockopt(r.fd, SOL_SOCKET, SO_RCVBUF, &recvBufferBytes, sizeof(int)) != 0) {
    return fail("setsockopt", "SO_RCVBUF");
  }
  if (sendBufferBytes > 0 && setsockopt(r.fd, SOL_SOCKET, SO_SNDBUFFORCE, &sendBufferBytes, sizeof(int)) != 0 &&
      setsockopt(r.fd, SOL_SOCKET, SO_SNDBUF, &sendBufferBytes, sizeof(int)) != 0) {
    return fail("setsockopt", "SO_SNDBUF");
  }
  // Best effort, like Jamulus: some networks and sandboxes refuse it and audio works anyway.
  r.dscp = setsockopt(r.fd, IPPROTO_IP, IP_TOS, &kTos, sizeof kTos) == 0;
  if (v6) r.dscp = setsockopt(r.fd, IPPROTO_IPV6, IPV6_TCLASS, &kTos, sizeof kTos) == 0 && r.dscp;
  if (::bind(r.fd, bind.sa(), bind.length) != 0) return fail("bind", nullptr);
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  if (getsockname(r.fd, reinterpret_cast<sockaddr*>(&bound), &len) != 0) return fail("getsockname", nullptr);
  r.port = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                             : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  socklen_t optLen = sizeof(int);
  if (getsockopt(r.fd, SOL_SOCKET, SO_RCVBUF, &r.recvBufferBytes, &optLen) != 0) return fail("getsockopt", "SO_RCVBUF");
  optLen = sizeof(int);
  if (getsockopt(r.fd, SOL_SOCKET, SO_SNDBUF, &r.sendBufferBytes, &optLen) != 0) return fail("getsockopt", "SO_SNDBUF");
  return r;
}

}  // namespace riffbox
