// NativeUdpSocket's calls an engine loop makes every turn: receive a batch, queue and flush the send batch,
// send one datagram, and wait for the socket or sleep to a deadline (udp_socket.h says what they promise).
#include "udp_socket.h"

#include <arpa/inet.h>
#include <poll.h>
#include <sys/timerfd.h>

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

// Blocking calls are bounded so a worker being terminated is never stuck for long: termination
// cannot interrupt a thread blocked in the kernel.
constexpr double kMaxWaitMs = 3600e3;
constexpr double kMaxSleepAheadNs = 3600e9;

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
    const uint32_t peer = peers_.fromSockaddr(recvNames_[k], now);
    if (peer == 0 && family_ == AF_INET6) peerTableFull_++;
    recv_.addrs[k] = peer;
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
    if (!peers_.toSockaddr(send_.addrs[k], send_.ports[k], &sendNames_[count], &sendMsgs_[count].msg_hdr.msg_namelen)) {
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
  if (!peers_.toSockaddr(d.addr, d.port, &to, &toLen)) {
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

}  // namespace riffbox
