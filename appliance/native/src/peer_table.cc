#include "peer_table.h"

#include <cstring>

namespace riffbox {

namespace {

uint32_t hashOf(const in6_addr& a, uint32_t scope) {
  // FNV-1a over the 16 bytes and the scope.
  uint32_t h = 2166136261u;
  for (uint8_t b : a.s6_addr) h = (h ^ b) * 16777619u;
  for (int i = 0; i < 4; i++) h = (h ^ ((scope >> (8 * i)) & 0xff)) * 16777619u;
  return h;
}

}  // namespace

PeerTable::PeerTable() : entries_(kCapacity) {}

uint32_t PeerTable::idFor(const in6_addr& addr, uint32_t scope, uint64_t nowNs, bool pin) {
  const uint32_t start = hashOf(addr, scope) & (kCapacity - 1);
  int64_t reuse = -1;
  for (uint32_t probe = 0; probe < kCapacity; probe++) {
    const uint32_t i = (start + probe) & (kCapacity - 1);
    Entry& e = entries_[i];
    if (e.used && e.scope == scope && std::memcmp(&e.addr, &addr, sizeof addr) == 0) {
      e.lastSeenNs = nowNs;
      e.pinned = e.pinned || pin;
      return i + 1;
    }
    if (!e.used) {
      // The end of this address's probe chain: it is not in the table.
      if (reuse < 0) reuse = i;
      break;
    }
    if (reuse < 0 && !e.pinned && nowNs - e.lastSeenNs > kIdleNs) reuse = i;
  }
  if (reuse < 0) return 0;
  // An idle slot keeps its place in other chains: it is overwritten, never emptied.
  Entry& e = entries_[static_cast<size_t>(reuse)];
  e.addr = addr;
  e.scope = scope;
  e.lastSeenNs = nowNs;
  e.used = true;
  e.pinned = pin;
  return static_cast<uint32_t>(reuse) + 1;
}

bool PeerTable::lookup(uint32_t id, sockaddr_in6* out) const {
  if (!isPeerId(id)) return false;
  const Entry& e = entries_[id - 1];
  if (!e.used) return false;
  std::memset(out, 0, sizeof *out);
  out->sin6_family = AF_INET6;
  out->sin6_addr = e.addr;
  out->sin6_scope_id = e.scope;
  return true;
}

}  // namespace riffbox
