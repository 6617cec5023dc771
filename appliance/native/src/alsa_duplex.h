// AlsaDuplex: ALSA capture + playback at 48 kHz on the addon's own thread, exchanging int16
// periods with JS through preallocated lock-free rings. The thread polls the capture PCM
// (non-blocking), moves every complete period into the capture ring, keeps the playback PCM
// filled to two periods from the playback ring (silence when JS is late), recovers from
// xruns, and on device loss closes everything and tries to reopen once a second.
// In steady state it never allocates, locks or calls JS; only reopening a lost device does
// (inside libasound).
// JS learns of captured periods either through the optional onCapture callback (a thread-safe
// function: one event-loop wake-up per period) or, for an engine loop that owns its thread, by
// blocking in waitCapture(), which watches an eventfd this thread signals plus one more fd (the
// engine's UDP socket), so one wake-up serves both.
#pragma once
#include <alsa/asoundlib.h>
#include <napi.h>
#include <poll.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "coalescing_notifier.h"
#include "spsc_ring.h"

namespace riffbox {

class AlsaDuplex : public Napi::ObjectWrap<AlsaDuplex> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit AlsaDuplex(const Napi::CallbackInfo& info);
  ~AlsaDuplex() override;

 private:
  enum State : int { kRunning = 0, kLost = 1, kStopped = 2 };

  static void EnvCleanup(void* arg);

  Napi::Value ReadCapture(const Napi::CallbackInfo& info);
  Napi::Value WritePlayback(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  Napi::Value WaitCapture(const Napi::CallbackInfo& info);
  Napi::Value CapturedWaiting(const Napi::CallbackInfo& info);
  Napi::Value StateName(const Napi::CallbackInfo& info);
  const char* StateText() const;
  void Close(const Napi::CallbackInfo& info);
  Napi::Value PeriodFrames(const Napi::CallbackInfo& info);
  Napi::Value CaptureChannels(const Napi::CallbackInfo& info);
  Napi::Value PlaybackChannels(const Napi::CallbackInfo& info);
  Napi::Value Device(const Napi::CallbackInfo& info);

  void ParseOptions(const Napi::CallbackInfo& info);
  bool OpenDevice();
  bool OpenDeviceNamed();
  int Configure(snd_pcm_t* pcm, bool capture, snd_pcm_uframes_t* bufferFrames);
  int Prefill();
  void CloseDevice();
  void Run();
  bool PumpCapture();
  void SignalReady(bool committed);
  bool PumpPlayback();
  bool Recover(bool capture, int err, const char* stage);
  void Lose(const char* stage, int err);
  void SetError(const char* stage, int err, const char* detail = nullptr);
  bool WaitForWake(int timeoutMs);
  void Halt();

  // Configuration, fixed at construction.
  std::string device_;
  snd_pcm_format_t format_ = SND_PCM_FORMAT_S16;
  unsigned sampleBytes_ = 2;
  unsigned periodFrames_ = 128;
  unsigned captureChannels_ = 2;
  unsigned playbackChannels_ = 2;
  unsigned ringPeriods_ = 8;

  // Owned by the audio thread once it runs (by the constructor before).
  snd_pcm_t* capture_ = nullptr;
  snd_pcm_t* playback_ = nullptr;
  snd_pcm_uframes_t playbackBufferFrames_ = 0;
  std::vector<uint8_t> captureRaw_;
  std::vector<uint8_t> playbackRaw_;
  std::vector<pollfd> pollFds_;
  int capturePollCount_ = 0;
  uint64_t lastCaptureNs_ = 0;
  // A device with no clock of its own (ALSA's `null`, a `file` plugin without a slave timer) hands over
  // periods as fast as they are read; from the first pump that reads more than a buffer's worth, the
  // thread paces it by the system clock instead of spinning at real-time priority.
  snd_pcm_uframes_t captureBufferFrames_ = 0;
  uint64_t untimedNextNs_ = 0;

  std::unique_ptr<SpscPeriodRing> captureRing_;
  std::unique_ptr<SpscPeriodRing> playbackRing_;

  int wakeFd_ = -1;
  // Signalled (counter += 1) by the audio thread after it committed captured periods; drained by
  // WaitCapture on the JS thread.
  int readyFd_ = -1;
  std::thread thread_;
  bool threadRunning_ = false;
  bool cleanupHookAdded_ = false;
  napi_env env_ = nullptr;
  Napi::FunctionReference callback_;
  CoalescingNotifier notifier_;

  std::atomic<bool> stopRequested_{false};
  std::atomic<int> state_{kLost};
  std::atomic<uint64_t> xruns_{0};
  std::atomic<uint64_t> captureOverruns_{0};
  std::atomic<uint64_t> playbackUnderruns_{0};
  std::atomic<uint64_t> capturedPeriods_{0};
  std::atomic<uint64_t> reopens_{0};
  std::atomic<bool> realtime_{false};
  // Written by the audio thread only; atomic because stats() reads it as `paced` from JS.
  std::atomic<bool> untimed_{false};
  // Static strings and an errno-style code: the audio thread records errors without allocating.
  std::atomic<const char*> errorStage_{nullptr};
  std::atomic<int> errorCode_{0};
  std::atomic<const char*> errorDetail_{nullptr};
  const char* configStep_ = nullptr;  // the hw/sw parameter Configure() was setting
};

}  // namespace riffbox
