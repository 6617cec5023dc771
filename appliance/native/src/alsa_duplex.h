// AlsaDuplex: an AlsaDevice (alsa_device.h) whose periods go to and come from JS through its rings.
// JS learns of captured periods either through the optional onCapture callback (a thread-safe function:
// one event-loop wake-up per pump) or, for a loop that owns its thread, by blocking in waitCapture(), which
// watches an eventfd the audio thread signals plus one more fd, so one wake-up serves both.
#pragma once
#include <napi.h>

#include <memory>

#include "alsa_device.h"
#include "coalescing_notifier.h"

namespace riffbox {

// Parses the JS options object shared by AlsaDuplex and ClientStream ({device, periodFrames, format,
// captureChannels, playbackChannels, ringPeriods}); TypeError when malformed.
AlsaOptions alsaOptionsArg(Napi::Env env, Napi::Value value, const char* where);
// The device's figures as JS sees them in stats().
Napi::Object alsaStatsObject(Napi::Env env, const AlsaDevice& device);

class AlsaDuplex : public Napi::ObjectWrap<AlsaDuplex>, public PeriodHandler {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit AlsaDuplex(const Napi::CallbackInfo& info);
  ~AlsaDuplex() override;

 private:
  static void EnvCleanup(void* arg);
  void OnCaptured(AlsaDevice& device, unsigned periods) override;
  void Halt();

  Napi::Value ReadCapture(const Napi::CallbackInfo& info);
  Napi::Value WritePlayback(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  Napi::Value WaitCapture(const Napi::CallbackInfo& info);
  Napi::Value CapturedWaiting(const Napi::CallbackInfo& info);
  Napi::Value StateName(const Napi::CallbackInfo& info);
  void Close(const Napi::CallbackInfo& info);
  Napi::Value PeriodFrames(const Napi::CallbackInfo& info);
  Napi::Value CaptureChannels(const Napi::CallbackInfo& info);
  Napi::Value PlaybackChannels(const Napi::CallbackInfo& info);
  Napi::Value Device(const Napi::CallbackInfo& info);

  std::unique_ptr<AlsaDevice> device_;
  // Signalled (counter += 1) by the audio thread after it committed captured periods; drained by
  // WaitCapture on the JS thread.
  int readyFd_ = -1;
  bool closed_ = false;
  bool cleanupHookAdded_ = false;
  napi_env env_ = nullptr;
  Napi::FunctionReference callback_;
  CoalescingNotifier notifier_;
};

}  // namespace riffbox
