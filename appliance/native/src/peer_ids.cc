#include "peer_ids.h"

#include <arpa/inet.h>
#include <net/if.h>

#include <cstring>
#include <string>

#include "args.h"
#include "rt_thread.h"

namespace riffbox {

bool PeerIds::toSockaddr(uint32_t addr, uint16_t port, sockaddr_in6* out, socklen_t* len) const {
  std::memset(out, 0, sizeof *out);
  if (family_ == AF_INET) {
    auto* sa = reinterpret_cast<sockaddr_in*>(out);
    sa->sin_family = AF_INET;
    sa->sin_addr.s_addr = htonl(addr);
    sa->sin_port = htons(port);
    *len = sizeof(sockaddr_in);
    return true;
  }
  if (PeerTable::isPeerId(addr)) {
    if (!table_.lookup(addr, out)) return false;
  } else {
    out->sin6_family = AF_INET6;
    out->sin6_addr.s6_addr[10] = 0xff;
    out->sin6_addr.s6_addr[11] = 0xff;
    const uint32_t be = htonl(addr);
    std::memcpy(&out->sin6_addr.s6_addr[12], &be, 4);
  }
  out->sin6_port = htons(port);
  *len = sizeof(sockaddr_in6);
  return true;
}

bool PeerIds::toPeerAddress(uint32_t addr, uint16_t port, PeerAddress* out) const {
  *out = PeerAddress{};
  socklen_t len = 0;
  if (!toSockaddr(addr, port, reinterpret_cast<sockaddr_in6*>(&out->storage), &len)) return false;
  out->length = len;
  return true;
}

uint32_t PeerIds::fromSockaddr(const sockaddr_in6& from, uint64_t nowNs) {
  if (family_ == AF_INET) return ntohl(reinterpret_cast<const sockaddr_in&>(from).sin_addr.s_addr);
  if (IN6_IS_ADDR_V4MAPPED(&from.sin6_addr)) {
    uint32_t be;
    std::memcpy(&be, &from.sin6_addr.s6_addr[12], 4);
    return ntohl(be);
  }
  return table_.idFor(from.sin6_addr, from.sin6_scope_id, nowNs);
}

Napi::Value PeerIds::IdOf(const Napi::CallbackInfo& info, const char* where) {
  Napi::Env env = info.Env();
  const std::string text = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : std::string();
  in_addr a4{};
  if (inet_pton(AF_INET, text.c_str(), &a4) == 1) return Napi::Number::New(env, ntohl(a4.s_addr));
  // A scope (fe80::1%eth0) names the interface of a link-local address.
  const size_t pct = text.find('%');
  const std::string bare = text.substr(0, pct);
  in6_addr a6{};
  if (inet_pton(AF_INET6, bare.c_str(), &a6) != 1) throwType(env, std::string(where) + ": address must be an IPv4 or IPv6 address");
  if (IN6_IS_ADDR_V4MAPPED(&a6)) {
    uint32_t be;
    std::memcpy(&be, &a6.s6_addr[12], 4);
    return Napi::Number::New(env, ntohl(be));
  }
  if (family_ != AF_INET6) throwType(env, std::string(where) + ": an IPv6 peer needs a socket bound to an IPv6 address (\"::\")");
  const uint32_t scope = pct == std::string::npos ? 0 : if_nametoindex(text.substr(pct + 1).c_str());
  const uint32_t id = table_.idFor(a6, scope, monotonicNs(), true);
  if (id == 0) throw Napi::Error::New(env, std::string(where) + ": the peer table is full");
  return Napi::Number::New(env, id);
}

Napi::Value PeerIds::AddressOf(const Napi::CallbackInfo& info, const char* where) const {
  Napi::Env env = info.Env();
  const int64_t n = integerArg(info, 0, where, "addr");
  if (n < 0 || n > 0xffffffffll) throwType(env, std::string(where) + ": addr must be an integer in 0..2^32-1");
  const uint32_t addr = static_cast<uint32_t>(n);
  if (family_ == AF_INET6 && PeerTable::isPeerId(addr)) {
    sockaddr_in6 sa{};
    if (!table_.lookup(addr, &sa)) return env.Null();
    char buf[INET6_ADDRSTRLEN];
    if (inet_ntop(AF_INET6, &sa.sin6_addr, buf, sizeof buf) == nullptr) return env.Null();
    return Napi::String::New(env, buf);
  }
  return Napi::String::New(env, ipv4String(addr));
}

}  // namespace riffbox
