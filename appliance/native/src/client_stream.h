// ClientStream: the local client's real-time half as one JS object (appliance/src/client/client-stream.ts):
// its UDP socket, the audio device and its thread, and the per-period path (client_period.h) that thread runs.
// JS hands it setups and settings, sends the protocol's datagrams through its socket, and takes what is not
// the server's audio from its ring when the onWake callback says something arrived.
#pragma once
#include <napi.h>

#include <memory>

#include "alsa_device.h"
#include "client_period.h"
#include "coalescing_notifier.h"

namespace riffbox {

class ClientStream : public Napi::ObjectWrap<ClientStream> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit ClientStream(const Napi::CallbackInfo& info);
  ~ClientStream() override;

 private:
  static void EnvCleanup(void* arg);
  void Halt();
  void RequireOpen(Napi::Env env, const char* where) const;

  void OpenDevice(const Napi::CallbackInfo& info);
  void CloseDevice(const Napi::CallbackInfo& info);
  Napi::Value DeviceState(const Napi::CallbackInfo& info);
  Napi::Value DeviceStats(const Napi::CallbackInfo& info);
  void SetSetup(const Napi::CallbackInfo& info);
  void SetParams(const Napi::CallbackInfo& info);
  Napi::Value Receive(const Napi::CallbackInfo& info);
  Napi::Value SendTo(const Napi::CallbackInfo& info);
  Napi::Value Counters(const Napi::CallbackInfo& info);
  Napi::Value Connected(const Napi::CallbackInfo& info);
  Napi::Value LastAudioNs(const Napi::CallbackInfo& info);
  Napi::Value Port(const Napi::CallbackInfo& info);
  void Close(const Napi::CallbackInfo& info);

  int fd_ = -1;
  uint16_t port_ = 0;
  CoalescingNotifier notifier_;
  Napi::FunctionReference callback_;
  std::unique_ptr<ClientPeriod> period_;
  std::unique_ptr<AlsaDevice> device_;
  napi_env env_ = nullptr;
  bool cleanupHookAdded_ = false;
};

}  // namespace riffbox
