// NativeUdpSocket's life: its options, opening and binding, the batch blocks JS reads and writes, closing,
// and what it reports (stats, accessors). The calls of an engine loop's turn are in udp_socket_io.cc.
#include "udp_socket.h"

#include <arpa/inet.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <string>

#include "args.h"
#include "udp_open.h"

namespace riffbox {

namespace {

const char* const kWhere = "NativeUdpSocket";
// UIO_MAXIOV: sendmmsg/recvmmsg handle at most this many messages per call.
constexpr size_t kMaxBatch = 1024;
constexpr size_t kMaxSlotBytes = 65536;
constexpr int kMaxSocketBuffer = 64 << 20;

size_t alignUp(size_t n, size_t a) { return (n + a - 1) / a * a; }

size_t optionalSize(Napi::Object opts, const char* key, size_t fallback, size_t min, size_t max) {
  Napi::Value v = opts.Get(key);
  if (v.IsUndefined()) return fallback;
  double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
  if (!v.IsNumber() || !std::isfinite(d) || std::floor(d) != d || d < static_cast<double>(min) ||
      d > static_cast<double>(max)) {
    throwType(opts.Env(), std::string(kWhere) + ": options." + key + " must be an integer in " + std::to_string(min) +
                              ".." + std::to_string(max));
  }
  return static_cast<size_t>(d);
}

}  // namespace

Napi::Function UdpSocket::Define(Napi::Env env) {
  return DefineClass(env, "NativeUdpSocket",
                     {
                         InstanceMethod<&UdpSocket::Receive>("receive"),
                         InstanceMethod<&UdpSocket::Queue>("queue"),
                         InstanceMethod<&UdpSocket::Flush>("flush"),
                         InstanceMethod<&UdpSocket::SendTo>("sendTo"),
                         InstanceMethod<&UdpSocket::WaitReadable>("waitReadable"),
                         InstanceMethod<&UdpSocket::SleepUntil>("sleepUntil"),
                         InstanceMethod<&UdpSocket::Stats>("stats"),
                         InstanceMethod<&UdpSocket::Close>("close"),
                         InstanceAccessor<&UdpSocket::Queued>("queued"),
                         InstanceAccessor<&UdpSocket::Closed>("closed"),
                         InstanceAccessor<&UdpSocket::Fd>("fd"),
                         InstanceMethod<&UdpSocket::PeerId>("peerId"),
                         InstanceMethod<&UdpSocket::PeerAddress>("peerAddress"),
                     });
}

void UdpSocket::ParseOptions(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject()) throwType(env, std::string(kWhere) + ": options must be an object");
  Napi::Object opts = info[0].As<Napi::Object>();
  Napi::Value port = opts.Get("port");
  double p = port.IsNumber() ? port.As<Napi::Number>().DoubleValue() : -1;
  if (!port.IsNumber() || std::floor(p) != p || p < 0 || p > 65535) {
    throwType(env, std::string(kWhere) + ": options.port must be an integer in 0..65535");
  }
  requestedPort_ = static_cast<uint16_t>(p);
  Napi::Value address = opts.Get("address");
  if (!address.IsUndefined()) {
    in_addr a{};
    const std::string text = address.IsString() ? address.As<Napi::String>().Utf8Value() : std::string();
    if (inet_pton(AF_INET, text.c_str(), &a) == 1) {
      bindAddr_ = ntohl(a.s_addr);
    } else if (inet_pton(AF_INET6, text.c_str(), &bindAddr6_) == 1) {
      family_ = AF_INET6;
    } else {
      throwType(env, std::string(kWhere) + ": options.address must be an IPv4 or IPv6 address (\"::\" for dual-stack)");
    }
    bindText_ = text;
  }
  recvBufferBytes_ = static_cast<int>(optionalSize(opts, "recvBufferBytes", 0, 1024, kMaxSocketBuffer));
  sendBufferBytes_ = static_cast<int>(optionalSize(opts, "sendBufferBytes", 0, 1024, kMaxSocketBuffer));
  maxBatch_ = optionalSize(opts, "maxBatch", 64, 1, kMaxBatch);
  slotBytes_ = optionalSize(opts, "slotBytes", 2048, 16, kMaxSlotBytes);
  sendQueueLength_ = optionalSize(opts, "sendQueueLength", 256, 1, kMaxBatch);
}

UdpSocket::UdpSocket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<UdpSocket>(info) {
  Napi::Env env = info.Env();
  env_ = env;
  ParseOptions(info);
  OpenAndBind(env);
  try {
    Napi::Object self = info.This().As<Napi::Object>();
    recv_ = MakeBatch(env, self, "recv", maxBatch_);
    send_ = MakeBatch(env, self, "send", sendQueueLength_);
    self.DefineProperties({
        Napi::PropertyDescriptor::Value("port", Napi::Number::New(env, port_), napi_enumerable),
        Napi::PropertyDescriptor::Value("maxBatch", Napi::Number::New(env, static_cast<double>(maxBatch_)), napi_enumerable),
        Napi::PropertyDescriptor::Value("slotBytes", Napi::Number::New(env, static_cast<double>(slotBytes_)), napi_enumerable),
        Napi::PropertyDescriptor::Value("sendQueueLength", Napi::Number::New(env, static_cast<double>(sendQueueLength_)),
                                        napi_enumerable),
        Napi::PropertyDescriptor::Value("recvBufferBytes", Napi::Number::New(env, actualRecvBuffer_), napi_enumerable),
        Napi::PropertyDescriptor::Value("sendBufferBytes", Napi::Number::New(env, actualSendBuffer_), napi_enumerable),
        Napi::PropertyDescriptor::Value("dscp", Napi::Boolean::New(env, dscp_), napi_enumerable),
        Napi::PropertyDescriptor::Value("family", Napi::Number::New(env, family_ == AF_INET6 ? 6 : 4), napi_enumerable),
    });
    SetupRecv();
    SetupSend();
    if (napi_add_env_cleanup_hook(env, &UdpSocket::EnvCleanup, this) != napi_ok) {
      throw Napi::Error::New(env, std::string(kWhere) + ": napi_add_env_cleanup_hook failed");
    }
  } catch (...) {
    // A constructor that throws never runs the destructor: close here or the fds leak.
    CloseFds();
    throw;
  }
  cleanupHookAdded_ = true;
}

void UdpSocket::OpenAndBind(Napi::Env env) {
  const std::string where = (family_ == AF_INET6 ? "[" + bindText_ + "]" : bindText_) + ":" + std::to_string(requestedPort_);
  const UdpOpenResult r = openUdpSocket(family_ == AF_INET6 ? PeerAddress::Ipv6(bindAddr6_, requestedPort_) : PeerAddress::Ipv4(bindAddr_, requestedPort_),
                                        recvBufferBytes_, sendBufferBytes_);
  auto fail = [&](const char* syscall, int err, const std::string& detail) {
    CloseFds();
    Napi::Error e = Napi::Error::New(env, std::string(kWhere) + ": " + syscall + " " + detail + ": " + errnoName(err) +
                                              " (" + std::strerror(err) + ")");
    e.Set("code", Napi::String::New(env, errnoName(err)));
    e.Set("syscall", Napi::String::New(env, syscall));
    e.Set("address", Napi::String::New(env, bindText_));
    e.Set("port", Napi::Number::New(env, requestedPort_));
    throw e;
  };
  if (r.fd < 0) fail(r.syscall, r.err, r.detail != nullptr ? std::string(r.detail) : where);
  fd_ = r.fd;
  port_ = r.port;
  dscp_ = r.dscp;
  peers_.setFamily(family_);
  actualRecvBuffer_ = r.recvBufferBytes;
  actualSendBuffer_ = r.sendBufferBytes;
  timerFd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (timerFd_ < 0) fail("timerfd_create", errno, "CLOCK_MONOTONIC");
}

UdpSocket::BatchViews UdpSocket::MakeBatch(Napi::Env env, Napi::Object self, const char* prefix, size_t slots) {
  const size_t dataBytes = slots * slotBytes_;
  const size_t lengthsAt = alignUp(dataBytes, 8);
  const size_t addrsAt = lengthsAt + alignUp(slots * sizeof(int32_t), 8);
  const size_t portsAt = addrsAt + alignUp(slots * sizeof(uint32_t), 8);
  const size_t total = portsAt + alignUp(slots * sizeof(uint16_t), 8);
  BatchViews b;
  b.block = std::make_shared<SharedBlock>(total);
  uint8_t* base = b.block->bytes.get();
  b.data = base;
  b.lengths = reinterpret_cast<int32_t*>(base + lengthsAt);
  b.addrs = reinterpret_cast<uint32_t*>(base + addrsAt);
  b.ports = reinterpret_cast<uint16_t*>(base + portsAt);

  auto* keepAlive = new std::shared_ptr<SharedBlock>(b.block);
  Napi::ArrayBuffer buffer;
  try {
    buffer = Napi::ArrayBuffer::New(
        env, base, total, [](Napi::Env, void*, std::shared_ptr<SharedBlock>* hint) { delete hint; }, keepAlive);
  } catch (...) {
    delete keepAlive;
    throw;
  }
  const std::string p(prefix);
  // Plain read-only own properties: JS reads them without a call into the addon.
  self.DefineProperties({
      Napi::PropertyDescriptor::Value(p + "Data", Napi::Uint8Array::New(env, dataBytes, buffer, 0), napi_enumerable),
      Napi::PropertyDescriptor::Value(p + "Lengths", Napi::Int32Array::New(env, slots, buffer, lengthsAt), napi_enumerable),
      Napi::PropertyDescriptor::Value(p + "Addrs", Napi::Uint32Array::New(env, slots, buffer, addrsAt), napi_enumerable),
      Napi::PropertyDescriptor::Value(p + "Ports", Napi::Uint16Array::New(env, slots, buffer, portsAt), napi_enumerable),
  });
  return b;
}

void UdpSocket::SetupRecv() {
  recvMsgs_.assign(maxBatch_, mmsghdr{});
  recvIov_.assign(maxBatch_, iovec{});
  recvNames_.assign(maxBatch_, sockaddr_in6{});
  for (size_t k = 0; k < maxBatch_; k++) {
    recvIov_[k].iov_base = recv_.data + k * slotBytes_;
    recvIov_[k].iov_len = slotBytes_;
    msghdr& h = recvMsgs_[k].msg_hdr;
    h.msg_name = &recvNames_[k];
    h.msg_namelen = sizeof(sockaddr_in6);
    h.msg_iov = &recvIov_[k];
    h.msg_iovlen = 1;
  }
}

void UdpSocket::SetupSend() {
  sendMsgs_.assign(sendQueueLength_, mmsghdr{});
  sendIov_.assign(sendQueueLength_, iovec{});
  sendNames_.assign(sendQueueLength_, sockaddr_in6{});
  for (size_t k = 0; k < sendQueueLength_; k++) {
    msghdr& h = sendMsgs_[k].msg_hdr;
    h.msg_name = &sendNames_[k];
    h.msg_iov = &sendIov_[k];
    h.msg_iovlen = 1;
  }
}

UdpSocket::~UdpSocket() {
  CloseFds();
  if (cleanupHookAdded_) {
    napi_remove_env_cleanup_hook(env_, &UdpSocket::EnvCleanup, this);
    cleanupHookAdded_ = false;
  }
}

void UdpSocket::EnvCleanup(void* arg) {
  auto* self = static_cast<UdpSocket*>(arg);
  // The env is walking its hook list: do not remove ourselves from it.
  self->cleanupHookAdded_ = false;
  self->CloseFds();
}

void UdpSocket::CloseFds() {
  // close() on Linux frees the descriptor even when it reports an error, so there is nothing
  // to retry; the errors it can report (EIO, EINTR) mean nothing for a socket or a timerfd.
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  if (timerFd_ >= 0) {
    ::close(timerFd_);
    timerFd_ = -1;
  }
  queued_ = 0;
}

void UdpSocket::Close(const Napi::CallbackInfo& info) {
  CloseFds();
  if (cleanupHookAdded_) {
    napi_remove_env_cleanup_hook(env_, &UdpSocket::EnvCleanup, this);
    cleanupHookAdded_ = false;
  }
}

void UdpSocket::RequireOpen(Napi::Env env, const char* where) const {
  if (fd_ < 0) throw Napi::Error::New(env, std::string(kWhere) + "." + where + "(): the socket is closed");
}

void UdpSocket::NoteError(const char* syscall, int err) {
  lastErrorSyscall_ = syscall;
  lastErrno_ = err;
}

Napi::Value UdpSocket::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("received", Napi::Number::New(env, static_cast<double>(received_)));
  o.Set("truncated", Napi::Number::New(env, static_cast<double>(truncated_)));
  o.Set("receiveErrors", Napi::Number::New(env, static_cast<double>(receiveErrors_)));
  o.Set("sent", Napi::Number::New(env, static_cast<double>(sent_)));
  o.Set("sendErrors", Napi::Number::New(env, static_cast<double>(sendErrors_)));
  o.Set("sendBufferFull", Napi::Number::New(env, static_cast<double>(sendBufferFull_)));
  o.Set("queueFull", Napi::Number::New(env, static_cast<double>(queueFull_)));
  o.Set("peerTableFull", Napi::Number::New(env, static_cast<double>(peerTableFull_)));
  if (lastErrorSyscall_ != nullptr) {
    o.Set("lastError", Napi::String::New(env, std::string(lastErrorSyscall_) + ": " + errnoName(lastErrno_) + " (" +
                                                  std::strerror(lastErrno_) + ")"));
    o.Set("lastErrorCode", Napi::String::New(env, errnoName(lastErrno_)));
  } else {
    o.Set("lastError", env.Null());
    o.Set("lastErrorCode", env.Null());
  }
  return o;
}

Napi::Value UdpSocket::Queued(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(queued_));
}

Napi::Value UdpSocket::Closed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), fd_ < 0); }

Napi::Value UdpSocket::Fd(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), fd_); }

// peerId(text) and peerAddress(addr): the scheme every riffbox socket shares (peer_ids.h).
Napi::Value UdpSocket::PeerId(const Napi::CallbackInfo& info) { return peers_.IdOf(info, "NativeUdpSocket.peerId"); }

Napi::Value UdpSocket::PeerAddress(const Napi::CallbackInfo& info) {
  return peers_.AddressOf(info, "NativeUdpSocket.peerAddress");
}

}  // namespace riffbox
