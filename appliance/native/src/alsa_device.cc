#include "alsa_device.h"

#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "rt_thread.h"
#include "sample_convert.h"

namespace riffbox {

namespace {
constexpr unsigned kSampleRate = 48000;
// Capture has room for bursts from the device while this thread is preempted. Playback is filled
// only when a capture period arrives, so it is kept at two periods (the usual duplex compromise
// between latency and underruns) while capture and playback keep step. Where they do not (two
// clocks, as on a loopback card or a separate output device, or a host that wakes the thread
// late), every playback xrun adds a period of headroom, up to kPlaybackMaxTargetPeriods; after
// kPlaybackSettleNs without one, a period is given back. Without that, a device that underruns
// every few periods plays only the silence each recovery starts with.
constexpr unsigned kCaptureBufferPeriods = 8;
constexpr unsigned kPlaybackBufferPeriods = 12;
constexpr unsigned kPlaybackTargetPeriods = 2;
constexpr unsigned kPlaybackMaxTargetPeriods = 8;
constexpr uint64_t kPlaybackSettleNs = 60ull * 1000000000ull;
// A device that delivers nothing for this long is treated as gone: some plugins (JACK) never
// report an error when their server dies, they just stop.
constexpr int kStallTimeoutMs = 1000;
constexpr int kReopenIntervalMs = 1000;
constexpr int kAlsaPriority = 70;  // above the engine threads (60): an xrun is worse than a late tick
// While the device is lost, its clock catches up at most this many periods after a stall.
constexpr int kLostClockMaxCatchUp = 8;
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

}  // namespace

void AlsaDevice::SetError(const char* stage, int err, const char* detail) {
  errorCode_.store(err);
  errorDetail_.store(detail);
  errorStage_.store(stage);
}

int AlsaDevice::Configure(snd_pcm_t* pcm, bool capture, snd_pcm_uframes_t* bufferFrames) {
  snd_pcm_hw_params_t* hw;
  snd_pcm_hw_params_alloca(&hw);
  int err;
  const char*& step = configStep_;
  step = "hw params";
  if ((err = snd_pcm_hw_params_any(pcm, hw)) < 0) return err;
  step = "access RW interleaved";
  if ((err = snd_pcm_hw_params_set_access(pcm, hw, SND_PCM_ACCESS_RW_INTERLEAVED)) < 0) return err;
  step = "sample format";
  if ((err = snd_pcm_hw_params_set_format(pcm, hw, options_.format)) < 0) return err;
  step = "channel count";
  if ((err = snd_pcm_hw_params_set_channels(pcm, hw, capture ? options_.captureChannels : options_.playbackChannels)) < 0) return err;
  step = "rate 48000 Hz";
  if ((err = snd_pcm_hw_params_set_rate(pcm, hw, kSampleRate, 0)) < 0) return err;
  // The hardware period only paces the wake-ups; this thread always moves whole periods of
  // options_.periodFrames, so a device that rounds the period still works.
  snd_pcm_uframes_t period = options_.periodFrames;
  int dir = 0;
  step = "period size";
  if ((err = snd_pcm_hw_params_set_period_size_near(pcm, hw, &period, &dir)) < 0) return err;
  snd_pcm_uframes_t buffer = static_cast<snd_pcm_uframes_t>(options_.periodFrames) *
                             (capture ? kCaptureBufferPeriods : kPlaybackBufferPeriods);
  step = "buffer size";
  if ((err = snd_pcm_hw_params_set_buffer_size_near(pcm, hw, &buffer)) < 0) return err;
  step = "hw params";
  if ((err = snd_pcm_hw_params(pcm, hw)) < 0) return err;
  if ((err = snd_pcm_hw_params_get_buffer_size(hw, &buffer)) < 0) return err;
  step = "buffer size";
  if (buffer < static_cast<snd_pcm_uframes_t>(options_.periodFrames) * (capture ? 2 : kPlaybackTargetPeriods + 1)) return -EINVAL;
  *bufferFrames = buffer;

  snd_pcm_sw_params_t* sw;
  snd_pcm_sw_params_alloca(&sw);
  snd_pcm_uframes_t boundary = 0;
  step = "sw params";
  if ((err = snd_pcm_sw_params_current(pcm, sw)) < 0) return err;
  if ((err = snd_pcm_sw_params_get_boundary(sw, &boundary)) < 0) return err;
  // Capture wakes this thread every period. Playback is written from the capture wake-up and never waited
  // for, so it asks to be signalled only when it ran dry: plugins that signal through a pipe (jack) would
  // otherwise write to it every period with nobody reading.
  const snd_pcm_uframes_t availMin = capture ? options_.periodFrames : buffer;
  if ((err = snd_pcm_sw_params_set_avail_min(pcm, sw, availMin)) < 0) return err;
  // Started explicitly (after the playback prefill), also after xrun recovery.
  if ((err = snd_pcm_sw_params_set_start_threshold(pcm, sw, boundary)) < 0) return err;
  if ((err = snd_pcm_sw_params(pcm, sw)) < 0) return err;
  return 0;
}

int AlsaDevice::Prefill() {
  std::memset(playbackRaw_.data(), 0, playbackRaw_.size());
  const unsigned target = playbackTarget_.load(std::memory_order_relaxed);
  for (unsigned i = 0; i < target; i++) {
    snd_pcm_sframes_t w = snd_pcm_writei(playback_, playbackRaw_.data(), options_.periodFrames);
    if (w < 0) return static_cast<int>(w);
  }
  return snd_pcm_start(playback_);
}

bool AlsaDevice::OpenDevice() {
  // Threads an ALSA plugin starts while the device opens (the jack plugin's JACK clients) inherit
  // this name, so per-thread CPU figures can tell them from riffbox's own threads.
  char ownName[16] = {0};
  const bool renamed = pthread_getname_np(pthread_self(), ownName, sizeof ownName) == 0 &&
                       pthread_setname_np(pthread_self(), "alsa-plugin") == 0;
  const bool opened = OpenDeviceNamed();
  if (renamed) pthread_setname_np(pthread_self(), ownName);
  return opened;
}

bool AlsaDevice::OpenDeviceNamed() {
  int err = snd_pcm_open(&capture_, options_.device.c_str(), SND_PCM_STREAM_CAPTURE, SND_PCM_NONBLOCK);
  if (err < 0) {
    capture_ = nullptr;
    SetError(kStageOpenCapture, err);
    return false;
  }
  err = snd_pcm_open(&playback_, options_.device.c_str(), SND_PCM_STREAM_PLAYBACK, SND_PCM_NONBLOCK);
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
  // A device (re)opened starts from the usual headroom; what the last one needed may not apply.
  const unsigned fits = static_cast<unsigned>(playbackBufferFrames_ / options_.periodFrames) - 1;
  playbackMaxTarget_ = fits < kPlaybackMaxTargetPeriods ? fits : kPlaybackMaxTargetPeriods;
  playbackTarget_.store(kPlaybackTargetPeriods, std::memory_order_relaxed);
  lastPlaybackXrunNs_ = monotonicNs();
  if ((err = Prefill()) < 0 || (err = snd_pcm_start(capture_)) < 0) {
    SetError(kStageStart, err);
    CloseDevice();
    return false;
  }
  lastCaptureNs_ = monotonicNs();
  untimed_.store(false, std::memory_order_relaxed);
  return true;
}

void AlsaDevice::CloseDevice() {
  if (capture_ != nullptr) snd_pcm_close(capture_);
  if (playback_ != nullptr) snd_pcm_close(playback_);
  capture_ = nullptr;
  playback_ = nullptr;
}

void AlsaDevice::Lose(const char* stage, int err) {
  SetError(stage, err);
  state_.store(kLost);
  CloseDevice();
}

bool AlsaDevice::Recover(bool capture, int err, const char* stage) {
  if (err == -EAGAIN || err == -EINTR) return true;
  if (err != -EPIPE && err != -ESTRPIPE) {
    Lose(stage, err);
    return false;
  }
  xruns_.fetch_add(1, std::memory_order_relaxed);
  if (!capture) {
    playbackXruns_.fetch_add(1, std::memory_order_relaxed);
    const unsigned target = playbackTarget_.load(std::memory_order_relaxed);
    if (target < playbackMaxTarget_) playbackTarget_.store(target + 1, std::memory_order_relaxed);
    lastPlaybackXrunNs_ = monotonicNs();
  }
  snd_pcm_t* pcm = capture ? capture_ : playback_;
  int r = snd_pcm_recover(pcm, err, 1);
  if (r >= 0) r = capture ? snd_pcm_start(capture_) : Prefill();
  if (r < 0) {
    Lose(stage, r);
    return false;
  }
  return true;
}

bool AlsaDevice::WaitForWake(int timeoutMs) {
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

bool AlsaDevice::PumpCapture() {
  const snd_pcm_sframes_t period = options_.periodFrames;
  const uint64_t periodNs = static_cast<uint64_t>(period) * 1000000000ull / kSampleRate;
  unsigned committed = 0;
  unsigned readThisPump = 0;
  const uint64_t pumpStartNs = monotonicNs();
  for (;;) {
    bool untimed = untimed_.load(std::memory_order_relaxed);
    const snd_pcm_uframes_t readFrames = static_cast<snd_pcm_uframes_t>(readThisPump) * period;
    const snd_pcm_uframes_t burstLimit = captureBufferFrames_ + 2 * period;
    if (!untimed && readFrames > burstLimit &&
        readFrames > burstLimit + (monotonicNs() - pumpStartNs) * kSampleRate / 1000000000ull) {
      // More in one go than the capture buffer holds plus what a clock could add meanwhile: no real clock
      // is behind this device. A real one bursting after a stall, or this thread preempted in the middle
      // of reading (a busy host, a virtual machine), stays below this.
      untimed = true;
      untimed_.store(true, std::memory_order_relaxed);
      untimedNextNs_ = monotonicNs();
    }
    if (untimed) {
      Deliver(committed);
      committed = 0;
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
      Deliver(committed);
      return Recover(true, static_cast<int>(avail), kStageRead);
    }
    if (avail < period) {
      Deliver(committed);
      return true;
    }
    snd_pcm_sframes_t got = snd_pcm_readi(capture_, captureRaw_.data(), period);
    if (got < 0) {
      Deliver(committed);
      return Recover(true, static_cast<int>(got), kStageRead);
    }
    if (got != period) {  // cannot happen with avail >= period; never deliver a torn period
      Deliver(committed);
      return true;
    }
    if (untimed) {
      // A device without a clock shows a whole buffer again right after a read (ALSA's null PCM always does).
      // One whose fill went down by what was read has a clock after all: a real card's catch-up burst after a
      // stall (snd-aloop under emulation, a USB card on a loaded host) can pass the test above. It is timed
      // by itself again at once; kept paced, its playback would get one period per period and underrun.
      const snd_pcm_sframes_t left = snd_pcm_avail_update(capture_);
      if (left >= 0 && left < avail) untimed_.store(false, std::memory_order_relaxed);
    }
    lastCaptureNs_ = monotonicNs();
    // Counted whether or not the ring takes it: an untimed device's pump must end after one period even when
    // nobody reads the ring, or the thread never looks at a stop request again.
    readThisPump++;
    int16_t* slot = captureRing_->writeSlot();
    if (slot == nullptr) {
      captureOverruns_.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    ToInt16(captureRaw_.data(), options_.format, slot, static_cast<size_t>(period) * options_.captureChannels);
    captureRing_->commitWrite();
    capturedPeriods_.fetch_add(1, std::memory_order_relaxed);
    committed++;
  }
}

bool AlsaDevice::PumpPlayback() {
  const snd_pcm_sframes_t period = options_.periodFrames;
  unsigned periods = playbackTarget_.load(std::memory_order_relaxed);
  // lastCaptureNs_ is the pump's latest clock reading: no second one per period. (An xrun recovered after
  // it is later than it: compared by addition, never by an unsigned difference.)
  if (periods > kPlaybackTargetPeriods && lastCaptureNs_ > lastPlaybackXrunNs_ + kPlaybackSettleNs) {
    playbackTarget_.store(--periods, std::memory_order_relaxed);
    lastPlaybackXrunNs_ = lastCaptureNs_;
  }
  // An untimed device always looks empty: it gets one period per captured period, as JS produces them.
  const snd_pcm_sframes_t target = untimed_.load(std::memory_order_relaxed) ? period : period * periods;
  snd_pcm_sframes_t avail = snd_pcm_avail_update(playback_);
  if (avail < 0) return Recover(false, static_cast<int>(avail), kStageWrite);
  snd_pcm_sframes_t fill = static_cast<snd_pcm_sframes_t>(playbackBufferFrames_) - avail;
  const size_t samples = static_cast<size_t>(period) * options_.playbackChannels;
  while (fill + period <= target) {
    const int16_t* slot = playbackRing_->readSlot();
    if (slot == nullptr) {
      playbackUnderruns_.fetch_add(1, std::memory_order_relaxed);
      std::memset(playbackRaw_.data(), 0, playbackRaw_.size());
    } else {
      FromInt16(slot, options_.format, playbackRaw_.data(), samples);
      playbackRing_->commitRead();
    }
    snd_pcm_sframes_t written = snd_pcm_writei(playback_, playbackRaw_.data(), period);
    if (written < 0) return Recover(false, static_cast<int>(written), kStageWrite);
    fill += written;
  }
  return true;
}

void AlsaDevice::Run() {
  // Named so per-thread CPU figures (/proc/PID/task/*/comm, top -H) tell it from node's threads.
  pthread_setname_np(pthread_self(), "riffbox-alsa");
  realtime_.store(tryRealtime(kAlsaPriority));
  while (!stopRequested_.load(std::memory_order_acquire)) {
    if (capture_ == nullptr) {
      RunLost();
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
      // Plugins that signal through a pipe (jack, pipewire) empty it only when asked for revents while the
      // device is below avail_min, which it now is: asked here, instead of by a second poll that would
      // return at once and pump nothing. For hw devices this only copies the flags.
      snd_pcm_poll_descriptors_revents(capture_, pollFds_.data(), static_cast<unsigned>(capturePollCount_), &revents);
    }
    // Checked after reading, so a thread that was merely descheduled finds its data first.
    if (monotonicNs() - lastCaptureNs_ > static_cast<uint64_t>(kStallTimeoutMs) * 1000000ull) {
      Lose(kStageStalled, -EIO);
    }
  }
  CloseDevice();
}

bool AlsaDevice::TryReopen() {
  if (!OpenDevice()) return false;
  reopens_.fetch_add(1, std::memory_order_relaxed);
  errorStage_.store(nullptr);
  errorCode_.store(0);
  lostNextNs_ = 0;
  state_.store(kRunning);
  return true;
}

void AlsaDevice::RunLost() {
  const uint64_t periodNs = handler_->LostClockPeriodNs();
  if (periodNs == 0) {
    lostNextNs_ = 0;
    if (WaitForWake(kReopenIntervalMs)) return;
    TryReopen();
    return;
  }
  uint64_t now = monotonicNs();
  if (lostNextNs_ == 0) lostNextNs_ = now + periodNs;
  if (nextReopenNs_ == 0 || nextReopenNs_ > now + kReopenIntervalMs * 1000000ull) {
    nextReopenNs_ = now + kReopenIntervalMs * 1000000ull;
  }
  // An absolute timerfd deadline: no timer slack, and no drift from period to period.
  itimerspec spec{};
  spec.it_value = toTimespec(lostNextNs_ < nextReopenNs_ ? lostNextNs_ : nextReopenNs_);
  timerfd_settime(timerFd_, TFD_TIMER_ABSTIME, &spec, nullptr);
  pollfd fds[2] = {{wakeFd_, POLLIN, 0}, {timerFd_, POLLIN, 0}};
  if (poll(fds, 2, kReopenIntervalMs) > 0 && fds[0].revents != 0) {
    WaitForWake(0);
    return;
  }
  now = monotonicNs();
  for (int i = 0; lostNextNs_ <= now && i < kLostClockMaxCatchUp; i++) {
    handler_->OnLostPeriod();
    lostNextNs_ += periodNs;
  }
  // A thread stalled for long does not replay every period it missed.
  if (lostNextNs_ <= now) lostNextNs_ = now + periodNs;
  if (now >= nextReopenNs_) {
    nextReopenNs_ = now + kReopenIntervalMs * 1000000ull;
    TryReopen();
  }
}

void AlsaDevice::Deliver(unsigned committed) {
  // Once per pump, not per period: a burst after a stall costs one call.
  if (committed > 0) handler_->OnCaptured(*this, committed);
}

const char* AlsaDevice::StateText() const {
  int state = state_.load();
  return state == kRunning ? "running" : state == kLost ? "lost" : "stopped";
}

AlsaDevice::AlsaDevice(const AlsaOptions& options, PeriodHandler* handler) : options_(options), handler_(handler) {
  captureRing_ = std::make_unique<SpscPeriodRing>(options_.ringPeriods, options_.periodFrames * options_.captureChannels);
  playbackRing_ = std::make_unique<SpscPeriodRing>(options_.ringPeriods, options_.periodFrames * options_.playbackChannels);
  const size_t sampleBytes = static_cast<size_t>(snd_pcm_format_physical_width(options_.format)) / 8;
  captureRaw_.assign(static_cast<size_t>(options_.periodFrames) * options_.captureChannels * sampleBytes, 0);
  playbackRaw_.assign(static_cast<size_t>(options_.periodFrames) * options_.playbackChannels * sampleBytes, 0);
  pollFds_.assign(kMaxPollFds, pollfd{-1, 0, 0});
  wakeFd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  timerFd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (wakeFd_ < 0 || timerFd_ < 0) {
    const int err = errno;
    if (wakeFd_ >= 0) close(wakeFd_);
    if (timerFd_ >= 0) close(timerFd_);
    throw std::runtime_error(std::string("eventfd/timerfd: ") + std::strerror(err));
  }
  state_.store(OpenDevice() ? kRunning : kLost);
  threadRunning_ = true;
  try {
    thread_ = std::thread(&AlsaDevice::Run, this);
  } catch (const std::system_error& e) {
    threadRunning_ = false;
    Halt();
    close(wakeFd_);
    close(timerFd_);
    throw std::runtime_error(std::string("cannot start the audio thread: ") + e.what());
  }
}

AlsaDevice::~AlsaDevice() {
  Halt();
  if (wakeFd_ >= 0) close(wakeFd_);
  if (timerFd_ >= 0) close(timerFd_);
}

void AlsaDevice::Wake() {
  uint64_t one = 1;
  ssize_t ignored = write(wakeFd_, &one, sizeof one);
  (void)ignored;
}

void AlsaDevice::Halt() {
  if (threadRunning_) {
    stopRequested_.store(true, std::memory_order_release);
    Wake();
    if (thread_.joinable()) thread_.join();
    threadRunning_ = false;
  }
  CloseDevice();
  state_.store(kStopped);
}

AlsaCounters AlsaDevice::counters() const {
  return AlsaCounters{xruns_.load(), playbackXruns_.load(), captureOverruns_.load(), playbackUnderruns_.load(),
                      capturedPeriods_.load(), reopens_.load(), playbackTarget_.load(), realtime_.load(), untimed_.load()};
}

std::string AlsaDevice::ErrorText() const {
  const char* stage = errorStage_.load();
  if (stage == nullptr || state_.load() != kLost) return std::string();
  const char* detail = errorDetail_.load();
  const std::string where = detail != nullptr ? std::string(stage) + " (" + detail + ")" : std::string(stage);
  return "ALSA device '" + options_.device + "': " + where + ": " + snd_strerror(errorCode_.load());
}

}  // namespace riffbox
