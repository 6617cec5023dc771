// UdpSocket: a non-blocking UDP socket for a dedicated engine loop that owns its thread: IPv4, or
// dual-stack IPv6 (bound to "::", IPv4 peers arrive as IPv4-mapped addresses). Peers are host-order
// uint32s either way: IPv4 addresses as themselves, IPv6 ones as ids from a PeerTable.
// Receives in batches with recvmmsg into one preallocated block that JS reads through typed
// arrays created once; sends from a second such block of slots, which JS fills either by
// queue() (a copy) or by writing the slots directly, handing them all to sendmmsg in flush(). The thread sleeps to absolute CLOCK_MONOTONIC deadlines on a
// timerfd (no timer slack, unlike clock_nanosleep or ppoll for a SCHED_OTHER thread), waking
// early when the socket turns readable if asked.
// No call after construction allocates or creates a JS object, except stats(). Network errors
// are counted, never thrown; only argument mistakes (TypeError) and use after close() throw.
// All state is per instance, so it works in any worker; it owns no thread.
#pragma once
#include <napi.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "peer_table.h"

namespace riffbox {

class UdpSocket : public Napi::ObjectWrap<UdpSocket> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit UdpSocket(const Napi::CallbackInfo& info);
  ~UdpSocket() override;

 private:
  // A batch block (slot data, lengths, addresses, ports) is shared between this object and the
  // external ArrayBuffer behind the JS views: whichever is collected last frees it, so a view
  // kept past close() or past the socket's collection never points at freed memory.
  struct SharedBlock {
    explicit SharedBlock(size_t bytes) : bytes(new uint8_t[bytes]()) {}
    std::unique_ptr<uint8_t[]> bytes;
  };
  struct BatchViews {
    std::shared_ptr<SharedBlock> block;
    uint8_t* data = nullptr;
    int32_t* lengths = nullptr;
    uint32_t* addrs = nullptr;
    uint16_t* ports = nullptr;
  };

  static void EnvCleanup(void* arg);

  Napi::Value Receive(const Napi::CallbackInfo& info);
  Napi::Value Queue(const Napi::CallbackInfo& info);
  Napi::Value Flush(const Napi::CallbackInfo& info);
  Napi::Value SendTo(const Napi::CallbackInfo& info);
  Napi::Value WaitReadable(const Napi::CallbackInfo& info);
  Napi::Value SleepUntil(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  Napi::Value Queued(const Napi::CallbackInfo& info);
  Napi::Value Closed(const Napi::CallbackInfo& info);
  Napi::Value Fd(const Napi::CallbackInfo& info);
  Napi::Value PeerId(const Napi::CallbackInfo& info);
  Napi::Value PeerAddress(const Napi::CallbackInfo& info);
  void Close(const Napi::CallbackInfo& info);

  void ParseOptions(const Napi::CallbackInfo& info);
  void OpenAndBind(Napi::Env env);
  // Allocates a block of `slots` slots and defines <prefix>Data/Lengths/Addrs/Ports on `self`.
  BatchViews MakeBatch(Napi::Env env, Napi::Object self, const char* prefix, size_t slots);
  void SetupRecv();
  void SetupSend();
  void RequireOpen(Napi::Env env, const char* where) const;
  void NoteError(const char* syscall, int err);
  void CloseFds();
  // A uint32 peer → the kernel's address; false for an IPv6 id this socket does not know.
  bool ToSockaddr(uint32_t addr, uint16_t port, sockaddr_in6* out, socklen_t* len) const;
  // The kernel's address → a uint32 peer (0 when the peer table is full).
  uint32_t FromSockaddr(const sockaddr_in6& from, uint64_t nowNs);

  // Options, fixed at construction.
  int family_ = AF_INET;
  std::string bindText_ = "0.0.0.0";
  uint32_t bindAddr_ = INADDR_ANY;  // host order (IPv4)
  in6_addr bindAddr6_ = in6addr_any;
  uint16_t requestedPort_ = 0;
  int recvBufferBytes_ = 0;  // 0: leave the kernel default
  int sendBufferBytes_ = 0;
  size_t maxBatch_ = 64;
  size_t slotBytes_ = 2048;
  size_t sendQueueLength_ = 256;

  int fd_ = -1;
  int timerFd_ = -1;
  uint16_t port_ = 0;
  bool dscp_ = false;
  int actualRecvBuffer_ = 0;
  int actualSendBuffer_ = 0;

  BatchViews recv_;
  std::vector<mmsghdr> recvMsgs_;
  std::vector<iovec> recvIov_;
  std::vector<sockaddr_in6> recvNames_;
  size_t lastReceived_ = 0;

  // The send slots are JS-writable: flush() reads lengths, addresses and ports from them and
  // checks each length, building the kernel's headers in arrays JS cannot reach.
  BatchViews send_;
  std::vector<mmsghdr> sendMsgs_;
  std::vector<iovec> sendIov_;
  std::vector<sockaddr_in6> sendNames_;
  size_t queued_ = 0;
  PeerTable peers_;

  uint64_t received_ = 0;
  uint64_t truncated_ = 0;
  uint64_t receiveErrors_ = 0;
  uint64_t sent_ = 0;
  uint64_t sendErrors_ = 0;
  uint64_t sendBufferFull_ = 0;
  uint64_t queueFull_ = 0;
  uint64_t peerTableFull_ = 0;
  // The last error as (syscall, errno): formatted only in stats(), so the hot path builds no string.
  const char* lastErrorSyscall_ = nullptr;
  int lastErrno_ = 0;

  napi_env env_ = nullptr;
  bool cleanupHookAdded_ = false;
};

}  // namespace riffbox
