#include "udp_socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/timerfd.h>
#include <net/if.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <string>

#include "args.h"
#include "clock.h"
#include "rt_thread.h"
#include "udp_open.h"

namespace riffbox {

namespace {

const char* const kWhere = "NativeUdpSocket";
// UIO_MAXIOV: sendmmsg/recvmmsg handle at most this many messages per call.
constexpr size_t kMaxBatch = 1024;
constexpr size_t kMaxSlotBytes = 65536;
constexpr int kMaxSocketBuffer = 64 << 20;
// Blocking calls are bounded so a worker being terminated is never stuck for long: termination
// cannot interrupt a thread blocked in the kernel.
constexpr double kMaxWaitMs = 3600e3;
constexpr double kMaxSleepAheadNs = 3600e9;

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

// The per-datagram paths check arguments with one napi call each (napi_get_value_double and
// napi_get_typedarray_info refuse wrong types themselves), not a type query plus a read.
double numberArg(const Napi::CallbackInfo& info, size_t index, const char* where, const char* name) {
  double d;
  if (napi_get_value_double(info.Env(), info[index], &d) != napi_ok) {
    throwType(info.Env(), std::string(where) + ": " + name + " must be a number");
  }
  return d;
}

double integerIn(const Napi::CallbackInfo& info, size_t index, const char* where, const char* name, double max,
                 const char* range) {
  double d = numberArg(info, index, where, name);
  if (!(d >= 0 && d <= max) || std::floor(d) != d) {
    throwType(info.Env(), std::string(where) + ": " + name + " must be an integer in " + range);
  }
  return d;
}

// bytes, offset, length, addr, port → a datagram and its destination, checked.
struct DatagramArgs {
  const uint8_t* data;
  size_t length;
  uint32_t addr;
  uint16_t port;
};

DatagramArgs datagramArgs(const Napi::CallbackInfo& info, const char* where) {
  napi_typedarray_type type;
  size_t byteLength;
  void* data;
  if (napi_get_typedarray_info(info.Env(), info[0], &type, &byteLength, &data, nullptr, nullptr) != napi_ok ||
      type != napi_uint8_array) {
    throwType(info.Env(), std::string(where) + ": bytes must be a Uint8Array");
  }
  const double offset = integerIn(info, 1, where, "offset", 9007199254740991.0, "0..2^53");
  const double length = integerIn(info, 2, where, "length", 9007199254740991.0, "0..2^53");
  if (offset + length > static_cast<double>(byteLength)) {
    throwType(info.Env(), std::string(where) + ": offset and length must lie within bytes (length " +
                              std::to_string(byteLength) + ")");
  }
  DatagramArgs out;
  out.data = static_cast<const uint8_t*>(data) + static_cast<size_t>(offset);
  out.length = static_cast<size_t>(length);
  out.addr = static_cast<uint32_t>(integerIn(info, 3, where, "addr", 4294967295.0, "0..2^32-1 (IPv4 as a uint32)"));
  out.port = static_cast<uint16_t>(integerIn(info, 4, where, "port", 65535, "0..65535"));
  return out;
}

bool transientSendError(int err) { return err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS; }

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

Napi::Value UdpSocket::Receive(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireOpen(env, "receive");
  // The kernel shrinks msg_namelen to what it wrote; put it back on the slots used last time.
  for (size_t k = 0; k < lastReceived_; k++) recvMsgs_[k].msg_hdr.msg_namelen = sizeof(sockaddr_in6);
  int n;
  do {
    // MSG_TRUNC: msg_len is the datagram's real length even when the slot was too small.
    n = recvmmsg(fd_, recvMsgs_.data(), static_cast<unsigned>(maxBatch_), MSG_DONTWAIT | MSG_TRUNC, nullptr);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    lastReceived_ = 0;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      receiveErrors_++;
      NoteError("recvmmsg", errno);
    }
    return Napi::Number::New(env, 0);
  }
  lastReceived_ = static_cast<size_t>(n);
  const uint64_t now = family_ == AF_INET6 ? monotonicNs() : 0;
  for (int k = 0; k < n; k++) {
    const unsigned len = recvMsgs_[k].msg_len;
    recv_.lengths[k] = static_cast<int32_t>(len);
    if (len > slotBytes_) truncated_++;
    recv_.addrs[k] = FromSockaddr(recvNames_[k], now);
    // sin_port and sin6_port sit at the same offset.
    recv_.ports[k] = ntohs(recvNames_[k].sin6_port);
  }
  received_ += static_cast<uint64_t>(n);
  return Napi::Number::New(env, n);
}

Napi::Value UdpSocket::Queue(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const DatagramArgs d = datagramArgs(info, "NativeUdpSocket.queue");
  RequireOpen(env, "queue");
  if (queued_ == sendQueueLength_) {
    queueFull_++;
    return Napi::Boolean::New(env, false);
  }
  if (d.length > slotBytes_) {
    sendErrors_++;
    NoteError("queue", EMSGSIZE);
    return Napi::Boolean::New(env, false);
  }
  if (d.length > 0) std::memcpy(send_.data + queued_ * slotBytes_, d.data, d.length);
  send_.lengths[queued_] = static_cast<int32_t>(d.length);
  send_.addrs[queued_] = d.addr;
  send_.ports[queued_] = d.port;
  queued_++;
  return Napi::Boolean::New(env, true);
}

Napi::Value UdpSocket::Flush(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  size_t slots = queued_;
  if (info.Length() > 0 && !info[0].IsUndefined()) {
    slots = static_cast<size_t>(integerIn(info, 0, "NativeUdpSocket.flush", "count",
                                          static_cast<double>(sendQueueLength_), "0..sendQueueLength"));
  }
  RequireOpen(env, "flush");
  queued_ = 0;
  // Headers are rebuilt from the slots on every flush: JS may have written them directly, so
  // each length is checked before the kernel sees a pointer.
  size_t count = 0;
  for (size_t k = 0; k < slots; k++) {
    const int32_t len = send_.lengths[k];
    if (len < 0 || static_cast<size_t>(len) > slotBytes_) {
      sendErrors_++;
      NoteError("flush", EMSGSIZE);
      continue;
    }
    if (!ToSockaddr(send_.addrs[k], send_.ports[k], &sendNames_[count], &sendMsgs_[count].msg_hdr.msg_namelen)) {
      sendErrors_++;
      NoteError("flush", EDESTADDRREQ);
      continue;
    }
    sendIov_[count].iov_base = send_.data + k * slotBytes_;
    sendIov_[count].iov_len = static_cast<size_t>(len);
    count++;
  }
  size_t next = 0;
  size_t sent = 0;
  while (next < count) {
    int n = sendmmsg(fd_, &sendMsgs_[next], static_cast<unsigned>(count - next), MSG_DONTWAIT);
    if (n > 0) {
      next += static_cast<size_t>(n);
      sent += static_cast<size_t>(n);
      continue;
    }
    int err = n < 0 ? errno : EAGAIN;
    if (err == EINTR) continue;
    NoteError("sendmmsg", err);
    if (transientSendError(err)) {
      // The send buffer is full: retrying now would spin, and audio queued for this tick is
      // worthless by the next one.
      const size_t dropped = count - next;
      sendErrors_ += dropped;
      sendBufferFull_ += dropped;
      break;
    }
    // The error belongs to this datagram (its destination was refused, too long, ...): skip
    // it so the rest of the batch still goes out.
    sendErrors_++;
    next++;
  }
  sent_ += sent;
  return Napi::Number::New(env, static_cast<double>(sent));
}

Napi::Value UdpSocket::SendTo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const DatagramArgs d = datagramArgs(info, "NativeUdpSocket.sendTo");
  RequireOpen(env, "sendTo");
  sockaddr_in6 to{};
  socklen_t toLen = 0;
  if (!ToSockaddr(d.addr, d.port, &to, &toLen)) {
    sendErrors_++;
    NoteError("sendto", EDESTADDRREQ);
    return Napi::Boolean::New(env, false);
  }
  ssize_t n;
  do {
    n = sendto(fd_, d.data, d.length, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&to), toLen);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    sendErrors_++;
    if (transientSendError(errno)) sendBufferFull_++;
    NoteError("sendto", errno);
    return Napi::Boolean::New(env, false);
  }
  sent_++;
  return Napi::Boolean::New(env, true);
}

Napi::Value UdpSocket::WaitReadable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsNumber()) throwType(env, "NativeUdpSocket.waitReadable: timeoutMs must be a number");
  double timeoutMs = info[0].As<Napi::Number>().DoubleValue();
  if (!std::isfinite(timeoutMs) || timeoutMs < 0 || timeoutMs > kMaxWaitMs) {
    throwType(env, "NativeUdpSocket.waitReadable: timeoutMs must be in 0..3600000");
  }
  RequireOpen(env, "waitReadable");
  const uint64_t deadline = monotonicNs() + static_cast<uint64_t>(timeoutMs * 1e6);
  pollfd p{fd_, POLLIN, 0};
  for (;;) {
    const uint64_t now = monotonicNs();
    const timespec left = toTimespec(deadline > now ? deadline - now : 0);
    int rc = ppoll(&p, 1, &left, nullptr);
    if (rc > 0) return Napi::Boolean::New(env, true);
    if (rc == 0) return Napi::Boolean::New(env, false);
    if (errno != EINTR) {
      int err = errno;
      throw Napi::Error::New(env, std::string("NativeUdpSocket.waitReadable: ppoll: ") + errnoName(err) + " (" +
                                      std::strerror(err) + ")");
    }
  }
}

Napi::Value UdpSocket::SleepUntil(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsNumber()) throwType(env, "NativeUdpSocket.sleepUntil: deadlineNs must be a number (monotonicNowNs() scale)");
  if (!info[1].IsBoolean()) throwType(env, "NativeUdpSocket.sleepUntil: wakeOnReadable must be a boolean");
  const double deadline = info[0].As<Napi::Number>().DoubleValue();
  const bool wakeOnReadable = info[1].As<Napi::Boolean>().Value();
  const uint64_t origin = clockOriginNs();
  const double nowRel = static_cast<double>(monotonicNs() - origin);
  if (!std::isfinite(deadline) || deadline - nowRel > kMaxSleepAheadNs) {
    throwType(env, "NativeUdpSocket.sleepUntil: deadlineNs must be finite and at most an hour ahead");
  }
  RequireOpen(env, "sleepUntil");
  if (deadline <= nowRel) return Napi::Boolean::New(env, false);

  // An absolute timerfd deadline fires with no timer slack (clock_nanosleep and ppoll get 50 µs
  // of slack on a SCHED_OTHER thread), and re-arming it clears an expiry nobody read.
  itimerspec spec{};
  spec.it_value = toTimespec(origin + static_cast<uint64_t>(std::llround(deadline)));
  if (timerfd_settime(timerFd_, TFD_TIMER_ABSTIME, &spec, nullptr) != 0) {
    int err = errno;
    throw Napi::Error::New(env, std::string("NativeUdpSocket.sleepUntil: timerfd_settime: ") + errnoName(err) + " (" +
                                    std::strerror(err) + ")");
  }
  pollfd fds[2] = {{timerFd_, POLLIN, 0}, {fd_, POLLIN, 0}};
  for (;;) {
    int rc = poll(fds, wakeOnReadable ? 2 : 1, -1);
    if (rc > 0) return Napi::Boolean::New(env, wakeOnReadable && fds[1].revents != 0);
    if (rc < 0 && errno != EINTR) {
      int err = errno;
      throw Napi::Error::New(env, std::string("NativeUdpSocket.sleepUntil: poll: ") + errnoName(err) + " (" +
                                      std::strerror(err) + ")");
    }
  }
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

bool UdpSocket::ToSockaddr(uint32_t addr, uint16_t port, sockaddr_in6* out, socklen_t* len) const {
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
    if (!peers_.lookup(addr, out)) return false;
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

uint32_t UdpSocket::FromSockaddr(const sockaddr_in6& from, uint64_t nowNs) {
  if (family_ == AF_INET) return ntohl(reinterpret_cast<const sockaddr_in&>(from).sin_addr.s_addr);
  if (IN6_IS_ADDR_V4MAPPED(&from.sin6_addr)) {
    uint32_t be;
    std::memcpy(&be, &from.sin6_addr.s6_addr[12], 4);
    return ntohl(be);
  }
  const uint32_t id = peers_.idFor(from.sin6_addr, from.sin6_scope_id, nowNs);
  if (id == 0) peerTableFull_++;
  return id;
}

// peerId(text): the uint32 a peer is known by on this socket. An IPv6 address is pinned (never
// reused): for addresses the program chose, such as the server a client joins.
Napi::Value UdpSocket::PeerId(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string text = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : std::string();
  in_addr a4{};
  if (inet_pton(AF_INET, text.c_str(), &a4) == 1) return Napi::Number::New(env, ntohl(a4.s_addr));
  // A scope (fe80::1%eth0) names the interface of a link-local address.
  const size_t pct = text.find('%');
  const std::string bare = text.substr(0, pct);
  in6_addr a6{};
  if (inet_pton(AF_INET6, bare.c_str(), &a6) != 1) throwType(env, "NativeUdpSocket.peerId: address must be an IPv4 or IPv6 address");
  if (IN6_IS_ADDR_V4MAPPED(&a6)) {
    uint32_t be;
    std::memcpy(&be, &a6.s6_addr[12], 4);
    return Napi::Number::New(env, ntohl(be));
  }
  if (family_ != AF_INET6) throwType(env, "NativeUdpSocket.peerId: an IPv6 peer needs a socket bound to an IPv6 address (\"::\")");
  const uint32_t scope = pct == std::string::npos ? 0 : if_nametoindex(text.substr(pct + 1).c_str());
  const uint32_t id = peers_.idFor(a6, scope, monotonicNs(), true);
  if (id == 0) throw Napi::Error::New(env, "NativeUdpSocket.peerId: the peer table is full");
  return Napi::Number::New(env, id);
}

// peerAddress(addr): the text of a peer ('203.0.113.7' or '2001:db8::7'), for messages and APIs.
Napi::Value UdpSocket::PeerAddress(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const uint32_t addr = static_cast<uint32_t>(integerIn(info, 0, "NativeUdpSocket.peerAddress", "addr", 4294967295.0, "0..2^32-1"));
  sockaddr_in6 sa{};
  if (family_ == AF_INET6 && PeerTable::isPeerId(addr)) {
    if (!peers_.lookup(addr, &sa)) return env.Null();
    char buf[INET6_ADDRSTRLEN];
    if (inet_ntop(AF_INET6, &sa.sin6_addr, buf, sizeof buf) == nullptr) return env.Null();
    return Napi::String::New(env, buf);
  }
  return Napi::String::New(env, ipv4String(addr));
}

}  // namespace riffbox
