// PeerTable: IPv6 peers of a dual-stack UdpSocket as 32-bit ids, so the engines keep one number
// per address as they do for IPv4 (host-order uint32). Ids are 1..kCapacity, inside 0.0.0.0/8,
// which no IPv4 datagram can come from. Fixed capacity, preallocated, open addressing: the receive
// path never allocates.
//
// An id stays valid while its peer is heard from: a slot is only reused after kIdleNs of silence,
// longer than any channel outlives its last datagram (30 s), so an engine never sends to a reused
// id. Pinned entries (an address the program chose, e.g. the server a client joins) are never reused.
#pragma once
#include <netinet/in.h>

#include <cstdint>
#include <vector>

namespace riffbox {

class PeerTable {
 public:
  static constexpr uint32_t kCapacity = 4096;
  static constexpr uint64_t kIdleNs = 120ull * 1000000000ull;

  PeerTable();
  // The id of addr%scope, inserting it; 0 when the table has no free or idle slot (a flood of
  // spoofed sources: the datagram is dropped and counted by the caller).
  uint32_t idFor(const in6_addr& addr, uint32_t scope, uint64_t nowNs, bool pin = false);
  // The address behind an id; false for an id never given or out of range.
  bool lookup(uint32_t id, sockaddr_in6* out) const;
  static bool isPeerId(uint32_t addr) { return addr >= 1 && addr <= kCapacity; }

 private:
  struct Entry {
    in6_addr addr;
    uint32_t scope = 0;
    uint64_t lastSeenNs = 0;
    bool used = false;
    bool pinned = false;
  };
  std::vector<Entry> entries_;
};

}  // namespace riffbox
