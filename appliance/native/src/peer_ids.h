// PeerIds: how a riffbox UDP socket names its peers to JS, the same for the server's NativeUdpSocket and the
// client's ClientStream: one host-order uint32 per peer, whatever the family. An IPv4 address is itself (IPv4
// peers of a dual-stack socket arrive IPv4-mapped and are unwrapped); an IPv6 address is an id in
// 1..PeerTable::kCapacity from a preallocated PeerTable, inside 0.0.0.0/8, which no IPv4 datagram comes from.
// Nothing here allocates after construction. Not thread-safe: one thread names and looks up peers (the
// server's engine worker, the client's JS thread).
#pragma once
#include <napi.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>

#include "peer_table.h"
#include "udp_open.h"

namespace riffbox {

class PeerIds {
 public:
  // The socket's family once it is open: AF_INET, or AF_INET6 for a (dual-stack) IPv6 socket.
  void setFamily(int family) { family_ = family; }
  int family() const { return family_; }

  // A peer → the kernel's address to send to; false for an IPv6 id this socket never gave.
  bool toSockaddr(uint32_t addr, uint16_t port, sockaddr_in6* out, socklen_t* len) const;
  bool toPeerAddress(uint32_t addr, uint16_t port, PeerAddress* out) const;
  // The kernel's sender → its peer; 0 when the table has no room (a flood of spoofed IPv6 sources): the
  // caller drops the datagram and counts it.
  uint32_t fromSockaddr(const sockaddr_in6& from, uint64_t nowNs);
  uint32_t fromSockaddr(const sockaddr_storage& from, uint64_t nowNs) {
    return fromSockaddr(reinterpret_cast<const sockaddr_in6&>(from), nowNs);
  }

  // peerId(text): the uint32 a peer is known by. An IPv6 address is pinned (never reused): for addresses the
  // program chose, such as the server a client joins. TypeError for a text that is no address, or an IPv6
  // address on an IPv4 socket.
  Napi::Value IdOf(const Napi::CallbackInfo& info, const char* where);
  // peerAddress(addr): '203.0.113.7' or '2001:db8::7', for messages and APIs; null for an unknown IPv6 id.
  Napi::Value AddressOf(const Napi::CallbackInfo& info, const char* where) const;

 private:
  int family_ = AF_INET;
  PeerTable table_;
};

}  // namespace riffbox
