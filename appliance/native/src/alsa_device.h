// AlsaDevice: ALSA capture + playback at 48 kHz on a thread of its own, exchanging int16 periods through
// preallocated lock-free rings. The thread polls the capture PCM (non-blocking), moves every complete period
// into the capture ring, tells its PeriodHandler, then keeps the playback PCM filled to two periods (more
// after playback xruns) from the playback ring (silence when nothing is there), recovers from xruns, and on
// device loss closes everything and tries to reopen once a second. While the device is gone the handler may
// ask for a clock instead (a timer at the period length), so whatever it drives keeps time without a device.
// In steady state the thread never allocates, locks or calls JS; only reopening a lost device does (inside
// libasound). JS wrappers: AlsaDuplex (alsa_duplex.cc, periods to and from JS) and ClientStream
// (client_stream.cc, the client's whole per-period path in this thread).
#pragma once
#include <alsa/asoundlib.h>
#include <poll.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "spsc_ring.h"

namespace riffbox {

struct AlsaOptions {
  std::string device;
  snd_pcm_format_t format = SND_PCM_FORMAT_S16;
  unsigned periodFrames = 128;
  unsigned captureChannels = 2;
  unsigned playbackChannels = 2;
  unsigned ringPeriods = 8;
};

class AlsaDevice;

// Called on the device's thread.
class PeriodHandler {
 public:
  virtual ~PeriodHandler() = default;
  // A pump committed `periods` captured periods to device.capture(); what goes to device.playback() is
  // played next.
  virtual void OnCaptured(AlsaDevice& device, unsigned periods) = 0;
  // While no device is open: the period (ns) of the clock wanted instead, 0 for none.
  virtual uint64_t LostClockPeriodNs() { return 0; }
  // One period of that clock passed.
  virtual void OnLostPeriod() {}
};

struct AlsaCounters {
  uint64_t xruns;
  uint64_t playbackXruns;  // of xruns, those of the playback PCM
  uint64_t captureOverruns;
  uint64_t playbackUnderruns;
  uint64_t capturedPeriods;
  uint64_t reopens;
  unsigned playbackPeriods;  // the playback fill kept now, in periods
  bool realtime;
  bool paced;
};

class AlsaDevice {
 public:
  enum State : int { kRunning = 0, kLost = 1, kStopped = 2 };

  // Makes the first attempt to open the device here, so the caller sees 'running' or 'lost' (with the
  // reason) at once, then starts the thread. A missing device is not an error (the thread keeps retrying);
  // std::runtime_error only when no thread or eventfd can be had.
  AlsaDevice(const AlsaOptions& options, PeriodHandler* handler);
  ~AlsaDevice();
  AlsaDevice(const AlsaDevice&) = delete;
  AlsaDevice& operator=(const AlsaDevice&) = delete;

  const AlsaOptions& options() const { return options_; }
  SpscPeriodRing& capture() { return *captureRing_; }
  SpscPeriodRing& playback() { return *playbackRing_; }
  int state() const { return state_.load(); }
  // The playback fill kept now, in periods (2, more while the device needs headroom).
  unsigned playbackPeriods() const { return playbackTarget_.load(std::memory_order_relaxed); }
  const char* StateText() const;
  AlsaCounters counters() const;
  // "ALSA device 'x': stage (detail): reason" while lost, else empty.
  std::string ErrorText() const;
  // Wakes the thread (e.g. so a lost device starts or stops its clock at once).
  void Wake();
  // Stops and joins the thread and closes the device. Idempotent; the destructor calls it.
  void Halt();

 private:
  bool OpenDevice();
  bool OpenDeviceNamed();
  int Configure(snd_pcm_t* pcm, bool capture, snd_pcm_uframes_t* bufferFrames);
  int Prefill();
  void CloseDevice();
  void Run();
  void RunLost();
  bool TryReopen();
  bool PumpCapture();
  bool PumpPlayback();
  bool Recover(bool capture, int err, const char* stage);
  void Lose(const char* stage, int err);
  void SetError(const char* stage, int err, const char* detail = nullptr);
  bool WaitForWake(int timeoutMs);
  void Deliver(unsigned committed);

  const AlsaOptions options_;
  PeriodHandler* const handler_;

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
  // periods as fast as they are read; from the first pump that reads more than a buffer's worth, the thread
  // paces it by the system clock instead of spinning at real-time priority, until a read shows the device's
  // fill going down (a clock after all).
  snd_pcm_uframes_t captureBufferFrames_ = 0;
  uint64_t untimedNextNs_ = 0;
  // The clock while the device is lost (0: not running), and the next reopen attempt.
  uint64_t lostNextNs_ = 0;
  uint64_t nextReopenNs_ = 0;

  std::unique_ptr<SpscPeriodRing> captureRing_;
  std::unique_ptr<SpscPeriodRing> playbackRing_;

  int wakeFd_ = -1;
  int timerFd_ = -1;
  std::thread thread_;
  bool threadRunning_ = false;

  std::atomic<bool> stopRequested_{false};
  std::atomic<int> state_{kLost};
  std::atomic<uint64_t> xruns_{0};
  std::atomic<uint64_t> playbackXruns_{0};
  // The playback fill in periods (see kPlaybackTargetPeriods); written by the audio thread only.
  std::atomic<unsigned> playbackTarget_{2};
  unsigned playbackMaxTarget_ = 2;
  uint64_t lastPlaybackXrunNs_ = 0;
  std::atomic<uint64_t> captureOverruns_{0};
  std::atomic<uint64_t> playbackUnderruns_{0};
  std::atomic<uint64_t> capturedPeriods_{0};
  std::atomic<uint64_t> reopens_{0};
  std::atomic<bool> realtime_{false};
  // Written by the audio thread only; atomic because stats read it as `paced`.
  std::atomic<bool> untimed_{false};
  // Static strings and an errno-style code: the audio thread records errors without allocating.
  std::atomic<const char*> errorStage_{nullptr};
  std::atomic<int> errorCode_{0};
  std::atomic<const char*> errorDetail_{nullptr};
  const char* configStep_ = nullptr;  // the hw/sw parameter Configure() was setting
};

}  // namespace riffbox
