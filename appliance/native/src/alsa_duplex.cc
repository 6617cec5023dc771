#include "alsa_duplex.h"

#include <time.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <cmath>
#include <cstring>

#include "args.h"
#include "rt_thread.h"

namespace riffbox {

namespace {
constexpr unsigned kSampleRate = 48000;
// Capture has room for bursts from the device while this thread is preempted; playback is
// kept at two periods, the usual duplex compromise between latency and underruns.
constexpr unsigned kCaptureBufferPeriods = 8;
constexpr unsigned kPlaybackBufferPeriods = 4;
constexpr unsigned kPlaybackTargetPeriods = 2;
// A device that delivers nothing for this long is treated as gone: some plugins (JACK) never
// report an error when their server dies, they just stop.
constexpr int kStallTimeoutMs = 1000;
constexpr int kReopenIntervalMs = 1000;
constexpr int kAlsaPriority = 70;  // above the tick timer: an xrun is worse than a late tick
constexpr size_t kMaxPollFds = 16;

const char* const kStageOpenCapture = "opening capture";
const char* const kStageOpenPlayback = "opening playback";
const char* const kStageConfigCapture = "configuring capture";
const char* const kStageConfigPlayback = "configuring playback";
const char* const kStagePollFds = "getting poll descriptors";
const char* const kStageStart = "starting";
const char* const kStagePoll = "polling capture";
const char* const kStageRead = "reading capture";
const char* const kStageWrite = "writing playback";
const char* const kStageStalled = "device stopped delivering audio";
const char* const kStageDisconnected = "device disconnected";

std::string optionalString(Napi::Object opts, const char* key, const std::string& fallback) {
  Napi::Value v = opts.Get(key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsString()) throwType(opts.Env(), std::string("AlsaDuplex: options.") + key + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

unsigned optionalUnsigned(Napi::Object opts, const char* key, unsigned fallback, unsigned min, unsigned max) {
  Napi::Value v = opts.Get(key);
  if (v.IsUndefined()) return fallback;
  double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
  if (!v.IsNumber() || d != static_cast<double>(static_cast<int64_t>(d)) || d < min || d > max) {
    throwType(opts.Env(), std::string("AlsaDuplex: options.") + key + " must be an integer in " + std::to_string(min) +
                              ".." + std::to_string(max));
  }
  return static_cast<unsigned>(d);
}

}  // namespace

Napi::Function AlsaDuplex::Define(Napi::Env env) {
  return DefineClass(env, "AlsaDuplex",
                     {
                         InstanceMethod<&AlsaDuplex::ReadCapture>("readCapture"),
                         InstanceMethod<&AlsaDuplex::WritePlayback>("writePlayback"),
                         InstanceMethod<&AlsaDuplex::Stats>("stats"),
                         InstanceMethod<&AlsaDuplex::WaitCapture>("waitCapture"),
                         InstanceAccessor<&AlsaDuplex::CapturedWaiting>("capturedWaiting"),
                         InstanceAccessor<&AlsaDuplex::StateName>("state"),
                         InstanceMethod<&AlsaDuplex::Close>("close"),
                         InstanceAccessor<&AlsaDuplex::PeriodFrames>("periodFrames"),
                         InstanceAccessor<&AlsaDuplex::CaptureChannels>("captureChannels"),
                         InstanceAccessor<&AlsaDuplex::PlaybackChannels>("playbackChannels"),
                         InstanceAccessor<&AlsaDuplex::Device>("device"),
                     });
}

void AlsaDuplex::ParseOptions(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject()) throwType(env, "AlsaDuplex: options must be an object");
  Napi::Object opts = info[0].As<Napi::Object>();
  Napi::Value device = opts.Get("device");
  if (!device.IsString() || device.As<Napi::String>().Utf8Value().empty()) {
    throwType(env, "AlsaDuplex: options.device must be a non-empty ALSA PCM name");
  }
  device_ = device.As<Napi::String>().Utf8Value();
  Napi::Value period = opts.Get("periodFrames");
  if (!period.IsNumber() || (period.As<Napi::Number>().DoubleValue() != 64 && period.As<Napi::Number>().DoubleValue() != 128)) {
    throwType(env, "AlsaDuplex: options.periodFrames must be 64 or 128");
  }
  periodFrames_ = static_cast<unsigned>(period.As<Napi::Number>().DoubleValue());
  std::string format = optionalString(opts, "format", "s16");
  if (format == "s16") {
    format_ = SND_PCM_FORMAT_S16;
    sampleBytes_ = 2;
  } else if (format == "s32") {
    format_ = SND_PCM_FORMAT_S32;
    sampleBytes_ = 4;
  } else {
    throwType(env, "AlsaDuplex: options.format must be 's16' or 's32'");
  }
  captureChannels_ = optionalUnsigned(opts, "captureChannels", 2, 1, 32);
  playbackChannels_ = optionalUnsigned(opts, "playbackChannels", 2, 1, 32);
  ringPeriods_ = optionalUnsigned(opts, "ringPeriods", 8, 2, 1024);
  if (!info[1].IsUndefined() && !info[1].IsFunction()) throwType(env, "AlsaDuplex: onCapture must be a function");
}

AlsaDuplex::AlsaDuplex(const Napi::CallbackInfo& info) : Napi::ObjectWrap<AlsaDuplex>(info) {
  Napi::Env env = info.Env();
  env_ = env;
  ParseOptions(info);

  captureRing_ = std::make_unique<SpscPeriodRing>(ringPeriods_, periodFrames_ * captureChannels_);
  playbackRing_ = std::make_unique<SpscPeriodRing>(ringPeriods_, periodFrames_ * playbackChannels_);
  captureRaw_.assign(static_cast<size_t>(periodFrames_) * captureChannels_ * sampleBytes_, 0);
  playbackRaw_.assign(static_cast<size_t>(periodFrames_) * playbackChannels_ * sampleBytes_, 0);
  pollFds_.assign(kMaxPollFds, pollfd{-1, 0, 0});

  wakeFd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wakeFd_ < 0) throw Napi::Error::New(env, std::string("AlsaDuplex: eventfd: ") + std::strerror(errno));
  readyFd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (readyFd_ < 0) {
    int err = errno;
    close(wakeFd_);
    throw Napi::Error::New(env, std::string("AlsaDuplex: eventfd: ") + std::strerror(err));
  }

  if (info[1].IsFunction()) {
    callback_ = Napi::Persistent(info[1].As<Napi::Function>());
    if (!notifier_.Open(env, callback_.Value(), "riffbox.AlsaDuplex")) {
      close(wakeFd_);
      close(readyFd_);
      throw Napi::Error::New(env, "AlsaDuplex: napi_create_threadsafe_function failed");
    }
  }
  // After the notifier, so this hook runs first at env teardown and joins the thread.
  if (napi_add_env_cleanup_hook(env, &AlsaDuplex::EnvCleanup, this) != napi_ok) {
    notifier_.Close();
    close(wakeFd_);
    close(readyFd_);
    throw Napi::Error::New(env, "AlsaDuplex: napi_add_env_cleanup_hook failed");
  }
  cleanupHookAdded_ = true;

  // The first attempt runs here so the caller sees 'running' or 'lost' (with the reason) at
  // once; a missing device is not an exception, the thread keeps retrying.
  state_.store(OpenDevice() ? kRunning : kLost);

  threadRunning_ = true;
  Ref();
  try {
    thread_ = std::thread(&AlsaDuplex::Run, this);
  } catch (const std::system_error& e) {
    threadRunning_ = false;
    Halt();
    Unref();
    throw Napi::Error::New(env, std::string("AlsaDuplex: cannot start thread: ") + e.what());
  }
}

AlsaDuplex::~AlsaDuplex() {
  Halt();
  if (wakeFd_ >= 0) close(wakeFd_);
  if (readyFd_ >= 0) close(readyFd_);
}

void AlsaDuplex::SetError(const char* stage, int err, const char* detail) {
  errorCode_.store(err);
  errorDetail_.store(detail);
  errorStage_.store(stage);
}

int AlsaDuplex::Configure(snd_pcm_t* pcm, bool capture, snd_pcm_uframes_t* bufferFrames) {
  snd_pcm_hw_params_t* hw;
  snd_pcm_hw_params_alloca(&hw);
  int err;
  const char*& step = configStep_;
  step = "hw params";
  if ((err = snd_pcm_hw_params_any(pcm, hw)) < 0) return err;
  step = "access RW interleaved";
  if ((err = snd_pcm_hw_params_set_access(pcm, hw, SND_PCM_ACCESS_RW_INTERLEAVED)) < 0) return err;
  step = "sample format";
  if ((err = snd_pcm_hw_params_set_format(pcm, hw, format_)) < 0) return err;
  step = "channel count";
  if ((err = snd_pcm_hw_params_set_channels(pcm, hw, capture ? captureChannels_ : playbackChannels_)) < 0) return err;
  step = "rate 48000 Hz";
  if ((err = snd_pcm_hw_params_set_rate(pcm, hw, kSampleRate, 0)) < 0) return err;
  // The hardware period only paces the wake-ups; this thread always moves whole periods of
  // periodFrames_, so a device that rounds the period still works.
  snd_pcm_uframes_t period = periodFrames_;
  int dir = 0;
  step = "period size";
  if ((err = snd_pcm_hw_params_set_period_size_near(pcm, hw, &period, &dir)) < 0) return err;
  snd_pcm_uframes_t buffer = static_cast<snd_pcm_uframes_t>(periodFrames_) *
                             (capture ? kCaptureBufferPeriods : kPlaybackBufferPeriods);
  step = "buffer size";
  if ((err = snd_pcm_hw_params_set_buffer_size_near(pcm, hw, &buffer)) < 0) return err;
  step = "hw params";
  if ((err = snd_pcm_hw_params(pcm, hw)) < 0) return err;
  if ((err = snd_pcm_hw_params_get_buffer_size(hw, &buffer)) < 0) return err;
  step = "buffer size";
  if (buffer < static_cast<snd_pcm_uframes_t>(periodFrames_) * (capture ? 2 : kPlaybackTargetPeriods + 1)) return -EINVAL;
  *bufferFrames = buffer;

  snd_pcm_sw_params_t* sw;
  snd_pcm_sw_params_alloca(&sw);
  snd_pcm_uframes_t boundary = 0;
  step = "sw params";
  if ((err = snd_pcm_sw_params_current(pcm, sw)) < 0) return err;
  if ((err = snd_pcm_sw_params_get_boundary(sw, &boundary)) < 0) return err;
  if ((err = snd_pcm_sw_params_set_avail_min(pcm, sw, periodFrames_)) < 0) return err;
  // Started explicitly (after the playback prefill), also after xrun recovery.
  if ((err = snd_pcm_sw_params_set_start_threshold(pcm, sw, boundary)) < 0) return err;
  if ((err = snd_pcm_sw_params(pcm, sw)) < 0) return err;
  return 0;
}

int AlsaDuplex::Prefill() {
  std::memset(playbackRaw_.data(), 0, playbackRaw_.size());
  for (unsigned i = 0; i < kPlaybackTargetPeriods; i++) {
    snd_pcm_sframes_t w = snd_pcm_writei(playback_, playbackRaw_.data(), periodFrames_);
    if (w < 0) return static_cast<int>(w);
  }
  return snd_pcm_start(playback_);
}

bool AlsaDuplex::OpenDevice() {
  // Threads an ALSA plugin starts while the device opens (the jack plugin's JACK clients) inherit
  // this name, so per-thread CPU figures can tell them from riffbox's own threads.
  char ownName[16] = {0};
  const bool renamed = pthread_getname_np(pthread_self(), ownName, sizeof ownName) == 0 &&
                       pthread_setname_np(pthread_self(), "alsa-plugin") == 0;
  const bool opened = OpenDeviceNamed();
  if (renamed) pthread_setname_np(pthread_self(), ownName);
  return opened;
}

bool AlsaDuplex::OpenDeviceNamed() {
  int err = snd_pcm_open(&capture_, device_.c_str(), SND_PCM_STREAM_CAPTURE, SND_PCM_NONBLOCK);
  if (err < 0) {
    capture_ = nullptr;
    SetError(kStageOpenCapture, err);
    return false;
  }
  err = snd_pcm_open(&playback_, device_.c_str(), SND_PCM_STREAM_PLAYBACK, SND_PCM_NONBLOCK);
  if (err < 0) {
    playback_ = nullptr;
    SetError(kStageOpenPlayback, err);
    CloseDevice();
    return false;
  }
  snd_pcm_uframes_t captureBuffer = 0;
  if ((err = Configure(capture_, true, &captureBuffer)) < 0) {
    SetError(kStageConfigCapture, err, configStep_);
    CloseDevice();
    return false;
  }
  captureBufferFrames_ = captureBuffer;
  if ((err = Configure(playback_, false, &playbackBufferFrames_)) < 0) {
    SetError(kStageConfigPlayback, err, configStep_);
    CloseDevice();
    return false;
  }
  capturePollCount_ = snd_pcm_poll_descriptors_count(capture_);
  if (capturePollCount_ <= 0 || static_cast<size_t>(capturePollCount_) >= kMaxPollFds) {
    SetError(kStagePollFds, capturePollCount_ <= 0 ? capturePollCount_ : -EINVAL);
    CloseDevice();
    return false;
  }
  if ((err = snd_pcm_poll_descriptors(capture_, pollFds_.data(), capturePollCount_)) < 0) {
    SetError(kStagePollFds, err);
    CloseDevice();
    return false;
  }
  pollFds_[capturePollCount_] = pollfd{wakeFd_, POLLIN, 0};
  if ((err = Prefill()) < 0 || (err = snd_pcm_start(capture_)) < 0) {
    SetError(kStageStart, err);
    CloseDevice();
    return false;
  }
  lastCaptureNs_ = monotonicNs();
  untimed_.store(false, std::memory_order_relaxed);
  return true;
}

void AlsaDuplex::CloseDevice() {
  if (capture_ != nullptr) snd_pcm_close(capture_);
  if (playback_ != nullptr) snd_pcm_close(playback_);
  capture_ = nullptr;
  playback_ = nullptr;
}

void AlsaDuplex::Lose(const char* stage, int err) {
  SetError(stage, err);
  state_.store(kLost);
  CloseDevice();
}

bool AlsaDuplex::Recover(bool capture, int err, const char* stage) {
  if (err == -EAGAIN || err == -EINTR) return true;
  if (err != -EPIPE && err != -ESTRPIPE) {
    Lose(stage, err);
    return false;
  }
  xruns_.fetch_add(1, std::memory_order_relaxed);
  snd_pcm_t* pcm = capture ? capture_ : playback_;
  int r = snd_pcm_recover(pcm, err, 1);
  if (r >= 0) r = capture ? snd_pcm_start(capture_) : Prefill();
  if (r < 0) {
    Lose(stage, r);
    return false;
  }
  return true;
}

bool AlsaDuplex::WaitForWake(int timeoutMs) {
  pollfd wake{wakeFd_, POLLIN, 0};
  int n = poll(&wake, 1, timeoutMs);
  if (n > 0) {
    uint64_t value;
    ssize_t ignored = read(wakeFd_, &value, sizeof value);
    (void)ignored;
    return true;
  }
  return false;
}

bool AlsaDuplex::PumpCapture() {
  const snd_pcm_sframes_t period = periodFrames_;
  const uint64_t periodNs = static_cast<uint64_t>(period) * 1000000000ull / kSampleRate;
  bool committed = false;
  unsigned readThisPump = 0;
  for (;;) {
    bool untimed = untimed_.load(std::memory_order_relaxed);
    if (!untimed && static_cast<snd_pcm_uframes_t>(readThisPump) * period > captureBufferFrames_ + 2 * period) {
      // More in one go than the capture buffer holds (plus what a clock could add meanwhile): no real
      // clock is behind this device. A real one bursting after a stall stays below this.
      untimed = true;
      untimed_.store(true, std::memory_order_relaxed);
      untimedNextNs_ = monotonicNs();
    }
    if (untimed) {
      SignalReady(committed);
      committed = false;
      // One period per pump: the poll loop (stop requests, playback) runs between periods.
      if (readThisPump > 0) return true;
      const uint64_t now = monotonicNs();
      // Far behind (the thread was descheduled): start again from now rather than replaying the gap.
      if (now > untimedNextNs_ + 4 * periodNs) untimedNextNs_ = now;
      if (untimedNextNs_ > now) {
        timespec due{static_cast<time_t>(untimedNextNs_ / 1000000000ull), static_cast<long>(untimedNextNs_ % 1000000000ull)};
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, nullptr);
      }
      untimedNextNs_ += periodNs;
    }
    snd_pcm_sframes_t avail = snd_pcm_avail_update(capture_);
    if (avail < 0) {
      SignalReady(committed);
      return Recover(true, static_cast<int>(avail), kStageRead);
    }
    if (avail < period) {
      SignalReady(committed);
      return true;
    }
    snd_pcm_sframes_t got = snd_pcm_readi(capture_, captureRaw_.data(), period);
    if (got < 0) {
      SignalReady(committed);
      return Recover(true, static_cast<int>(got), kStageRead);
    }
    if (got != period) {  // cannot happen with avail >= period; never deliver a torn period
      SignalReady(committed);
      return true;
    }
    lastCaptureNs_ = monotonicNs();
    int16_t* slot = captureRing_->writeSlot();
    if (slot == nullptr) {
      captureOverruns_.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    const size_t samples = static_cast<size_t>(period) * captureChannels_;
    if (sampleBytes_ == 2) {
      std::memcpy(slot, captureRaw_.data(), samples * 2);
    } else {
      const int32_t* src = reinterpret_cast<const int32_t*>(captureRaw_.data());
      for (size_t i = 0; i < samples; i++) slot[i] = static_cast<int16_t>(src[i] >> 16);
    }
    captureRing_->commitWrite();
    capturedPeriods_.fetch_add(1, std::memory_order_relaxed);
    committed = true;
    notifier_.Add(1);
    readThisPump++;
  }
}

void AlsaDuplex::SignalReady(bool committed) {
  // Once per pump, not per period: a burst after a stall costs one write and one wake-up.
  if (!committed) return;
  uint64_t one = 1;
  ssize_t ignored = write(readyFd_, &one, sizeof one);
  (void)ignored;
}

bool AlsaDuplex::PumpPlayback() {
  const snd_pcm_sframes_t period = periodFrames_;
  // An untimed device always looks empty: it gets one period per captured period, as JS produces them.
  const snd_pcm_sframes_t target = untimed_.load(std::memory_order_relaxed) ? period : period * kPlaybackTargetPeriods;
  snd_pcm_sframes_t avail = snd_pcm_avail_update(playback_);
  if (avail < 0) return Recover(false, static_cast<int>(avail), kStageWrite);
  snd_pcm_sframes_t fill = static_cast<snd_pcm_sframes_t>(playbackBufferFrames_) - avail;
  const size_t samples = static_cast<size_t>(period) * playbackChannels_;
  while (fill + period <= target) {
    const int16_t* slot = playbackRing_->readSlot();
    if (slot == nullptr) {
      playbackUnderruns_.fetch_add(1, std::memory_order_relaxed);
      std::memset(playbackRaw_.data(), 0, playbackRaw_.size());
    } else {
      if (sampleBytes_ == 2) {
        std::memcpy(playbackRaw_.data(), slot, samples * 2);
      } else {
        int32_t* dst = reinterpret_cast<int32_t*>(playbackRaw_.data());
        for (size_t i = 0; i < samples; i++) dst[i] = static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint16_t>(slot[i])) << 16);
      }
      playbackRing_->commitRead();
    }
    snd_pcm_sframes_t written = snd_pcm_writei(playback_, playbackRaw_.data(), period);
    if (written < 0) return Recover(false, static_cast<int>(written), kStageWrite);
    fill += written;
  }
  return true;
}

void AlsaDuplex::Run() {
  // Named so per-thread CPU figures (/proc/PID/task/*/comm, top -H) tell it from node's threads.
  pthread_setname_np(pthread_self(), "riffbox-alsa");
  realtime_.store(tryRealtime(kAlsaPriority));
  while (!stopRequested_.load(std::memory_order_acquire)) {
    if (capture_ == nullptr) {
      if (WaitForWake(kReopenIntervalMs)) continue;
      if (OpenDevice()) {
        reopens_.fetch_add(1, std::memory_order_relaxed);
        errorStage_.store(nullptr);
        errorCode_.store(0);
        state_.store(kRunning);
      }
      continue;
    }
    const nfds_t nfds = static_cast<nfds_t>(capturePollCount_) + 1;
    int n = poll(pollFds_.data(), nfds, kStallTimeoutMs);
    if (n < 0) {
      if (errno != EINTR) Lose(kStagePoll, -errno);
      continue;
    }
    if (pollFds_[capturePollCount_].revents != 0) {
      WaitForWake(0);
      continue;
    }
    if (n > 0) {
      unsigned short revents = 0;
      int err = snd_pcm_poll_descriptors_revents(capture_, pollFds_.data(), static_cast<unsigned>(capturePollCount_), &revents);
      if (err < 0) {
        Lose(kStagePoll, err);
        continue;
      }
      if (revents & (POLLERR | POLLNVAL | POLLHUP)) {
        snd_pcm_state_t st = snd_pcm_state(capture_);
        if (st == SND_PCM_STATE_DISCONNECTED || (revents & POLLNVAL)) {
          Lose(kStageDisconnected, -ENODEV);
          continue;
        }
        if (st == SND_PCM_STATE_XRUN && !Recover(true, -EPIPE, kStageRead)) continue;
        if (st == SND_PCM_STATE_SUSPENDED && !Recover(true, -ESTRPIPE, kStageRead)) continue;
      }
      if (!PumpCapture()) continue;
      if (!PumpPlayback()) continue;
    }
    // Checked after reading, so a thread that was merely descheduled finds its data first.
    if (monotonicNs() - lastCaptureNs_ > static_cast<uint64_t>(kStallTimeoutMs) * 1000000ull) {
      Lose(kStageStalled, -EIO);
    }
  }
  CloseDevice();
}

void AlsaDuplex::Halt() {
  if (threadRunning_) {
    stopRequested_.store(true, std::memory_order_release);
    uint64_t one = 1;
    ssize_t ignored = write(wakeFd_, &one, sizeof one);
    (void)ignored;
    if (thread_.joinable()) thread_.join();
    threadRunning_ = false;
  }
  CloseDevice();
  notifier_.Close();
  if (cleanupHookAdded_) {
    napi_remove_env_cleanup_hook(env_, &AlsaDuplex::EnvCleanup, this);
    cleanupHookAdded_ = false;
  }
  state_.store(kStopped);
}

void AlsaDuplex::EnvCleanup(void* arg) {
  auto* self = static_cast<AlsaDuplex*>(arg);
  // The env is walking its hook list: do not remove ourselves from it.
  self->cleanupHookAdded_ = false;
  self->Halt();
}

void AlsaDuplex::Close(const Napi::CallbackInfo& info) {
  if (state_.load() == kStopped && !threadRunning_) return;
  Halt();
  Unref();
}

Napi::Value AlsaDuplex::ReadCapture(const Napi::CallbackInfo& info) {
  TypedView out = typedArrayArg(info, 0, napi_int16_array, "readCapture", "out", "an Int16Array");
  if (out.length < captureRing_->periodSamples()) {
    throwType(info.Env(), "readCapture: out must hold periodFrames*captureChannels = " +
                              std::to_string(captureRing_->periodSamples()) + " samples");
  }
  return Napi::Boolean::New(info.Env(), captureRing_->pop(static_cast<int16_t*>(out.data)));
}

Napi::Value AlsaDuplex::WritePlayback(const Napi::CallbackInfo& info) {
  TypedView pcm = typedArrayArg(info, 0, napi_int16_array, "writePlayback", "pcm", "an Int16Array");
  if (pcm.length < playbackRing_->periodSamples()) {
    throwType(info.Env(), "writePlayback: pcm must hold periodFrames*playbackChannels = " +
                              std::to_string(playbackRing_->periodSamples()) + " samples");
  }
  return Napi::Boolean::New(info.Env(), playbackRing_->push(static_cast<const int16_t*>(pcm.data)));
}

// Blocks the calling (JS) thread until a captured period is waiting in the ring, `otherFd` turns
// readable, or `timeoutMs` passes; returns the number of periods waiting (0: not woken by capture).
// A captured period already waiting returns at once, without a system call.
Napi::Value AlsaDuplex::WaitCapture(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int64_t other = integerArg(info, 0, "AlsaDuplex.waitCapture", "otherFd");
  if (other < -1 || other > INT32_MAX) throwType(env, "AlsaDuplex.waitCapture: otherFd must be a file descriptor or -1");
  if (!info[1].IsNumber()) throwType(env, "AlsaDuplex.waitCapture: timeoutMs must be a number");
  const double timeoutMs = info[1].As<Napi::Number>().DoubleValue();
  if (!std::isfinite(timeoutMs) || timeoutMs < 0 || timeoutMs > 3600000) {
    throwType(env, "AlsaDuplex.waitCapture: timeoutMs must be in 0..3600000");
  }
  size_t waiting = captureRing_->filled();
  if (waiting > 0) return Napi::Number::New(env, static_cast<double>(waiting));
  const uint64_t deadline = monotonicNs() + static_cast<uint64_t>(timeoutMs * 1e6);
  pollfd fds[2] = {{readyFd_, POLLIN, 0}, {static_cast<int>(other), POLLIN, 0}};
  const nfds_t nfds = other >= 0 ? 2 : 1;
  for (;;) {
    const uint64_t now = monotonicNs();
    const timespec left = toTimespec(deadline > now ? deadline - now : 0);
    int rc = ppoll(fds, nfds, &left, nullptr);
    if (rc < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      throw Napi::Error::New(env, std::string("AlsaDuplex.waitCapture: ppoll: ") + std::strerror(err));
    }
    if (nfds == 2 && (fds[1].revents & POLLNVAL)) {
      throwType(env, "AlsaDuplex.waitCapture: otherFd is not an open file descriptor");
    }
    if (rc > 0 && fds[0].revents != 0) {
      uint64_t value;
      ssize_t ignored = read(readyFd_, &value, sizeof value);
      (void)ignored;
    }
    waiting = captureRing_->filled();
    if (waiting > 0) return Napi::Number::New(env, static_cast<double>(waiting));
    if (rc == 0 || (nfds == 2 && fds[1].revents != 0)) return Napi::Number::New(env, 0);
    // Only a signal for periods an earlier call already took: keep waiting.
  }
}

Napi::Value AlsaDuplex::CapturedWaiting(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(captureRing_->filled()));
}

const char* AlsaDuplex::StateText() const {
  int state = state_.load();
  return state == kRunning ? "running" : state == kLost ? "lost" : "stopped";
}

Napi::Value AlsaDuplex::StateName(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), StateText()); }

Napi::Value AlsaDuplex::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object s = Napi::Object::New(env);
  s.Set("xruns", Napi::Number::New(env, static_cast<double>(xruns_.load())));
  s.Set("paced", Napi::Boolean::New(env, untimed_.load()));
  s.Set("captureOverruns", Napi::Number::New(env, static_cast<double>(captureOverruns_.load())));
  s.Set("playbackUnderruns", Napi::Number::New(env, static_cast<double>(playbackUnderruns_.load())));
  s.Set("capturedPeriods", Napi::Number::New(env, static_cast<double>(capturedPeriods_.load())));
  s.Set("reopens", Napi::Number::New(env, static_cast<double>(reopens_.load())));
  s.Set("realtime", Napi::Boolean::New(env, realtime_.load()));
  int state = state_.load();
  s.Set("state", Napi::String::New(env, StateText()));
  const char* stage = errorStage_.load();
  if (stage != nullptr && state == kLost) {
    const char* detail = errorDetail_.load();
    std::string where = detail != nullptr ? std::string(stage) + " (" + detail + ")" : std::string(stage);
    s.Set("error", Napi::String::New(env, "ALSA device '" + device_ + "': " + where + ": " + snd_strerror(errorCode_.load())));
  }
  return s;
}

Napi::Value AlsaDuplex::PeriodFrames(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), periodFrames_); }
Napi::Value AlsaDuplex::CaptureChannels(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), captureChannels_);
}
Napi::Value AlsaDuplex::PlaybackChannels(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), playbackChannels_);
}
Napi::Value AlsaDuplex::Device(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), device_); }

}  // namespace riffbox
