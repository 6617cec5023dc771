#include "client_period.h"

#include <sys/socket.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "rt_thread.h"

namespace riffbox {

namespace {
constexpr size_t kTimestampSpace = CMSG_SPACE(sizeof(timespec));
// The protocol's framing (§1.2): a zero tag and a length field that matches. Such a datagram goes to JS,
// which applies the whole rule (with the CRC); audio never starts like this unless by a 2^-32 chance.
constexpr size_t kFrameOverhead = 9;

bool mayBeProtocolFrame(const uint8_t* b, size_t length) {
  return length >= kFrameOverhead && b[0] == 0 && b[1] == 0 &&
         static_cast<size_t>(b[5] | (b[6] << 8)) == length - kFrameOverhead;
}

uint64_t realtimeNs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}
}  // namespace

ClientPeriod::ClientPeriod(int socketFd, size_t controlSlots, size_t slotBytes, CoalescingNotifier* notifier)
    : fd_(socketFd),
      notifier_(notifier),
      control_(controlSlots, slotBytes),
      slotBytes_(slotBytes),
      recvData_(kBatch * slotBytes),
      msgs_(kBatch),
      iov_(kBatch),
      names_(kBatch),
      controlBytes_(kBatch * kTimestampSpace) {
  for (size_t k = 0; k < kBatch; k++) {
    iov_[k].iov_base = &recvData_[k * slotBytes_];
    iov_[k].iov_len = slotBytes_;
    msghdr& h = msgs_[k].msg_hdr;
    h.msg_iov = &iov_[k];
    h.msg_iovlen = 1;
    h.msg_name = &names_[k];
  }
}

ClientPeriod::~ClientPeriod() {
  delete current_;
  delete pending_.exchange(nullptr);
  delete retired_.exchange(nullptr);
}

void ClientPeriod::SetDevice(unsigned periodFrames, unsigned captureChannels, unsigned playbackChannels) {
  periodFrames_ = periodFrames;
  captureChannels_ = captureChannels;
  playbackChannels_ = playbackChannels;
  periodNs_.store(static_cast<uint64_t>(periodFrames) * 1000000000ull / kOpusSampleRate);
}

void ClientPeriod::Publish(std::unique_ptr<ClientSetup> setup) {
  CollectRetired();
  sessionOn_.store(setup->server.valid());
  delete pending_.exchange(setup.release(), std::memory_order_acq_rel);
}

void ClientPeriod::CollectRetired() { delete retired_.exchange(nullptr, std::memory_order_acq_rel); }

void ClientPeriod::NoteSendError(int err) {
  counters_.sendErrors.fetch_add(1, std::memory_order_relaxed);
  counters_.sendErrno.store(err, std::memory_order_relaxed);
}

void ClientPeriod::TakeSetup() {
  // The JS thread frees what was retired before; until it has, the next setup waits a period.
  if (retired_.load(std::memory_order_acquire) != nullptr) return;
  ClientSetup* next = pending_.exchange(nullptr, std::memory_order_acq_rel);
  if (next == nullptr) return;
  retired_.store(current_, std::memory_order_release);
  current_ = next;
  appliedJitter_ = -1;
  counters_.connectedSession.store(next->startConnected ? next->session : 0);
}

// A setup still to be taken keeps the clock going one more period, so ending a session takes effect (and
// its "connected" clears) although no device runs.
uint64_t ClientPeriod::LostClockPeriodNs() {
  return sessionOn_.load() || pending_.load() != nullptr ? periodNs_.load() : 0;
}

void ClientPeriod::OnLostPeriod() {
  TakeSetup();
  ReceiveAll();
  if (current_ == nullptr || !current_->server.valid()) return;
  counters_.fallbackPeriods.fetch_add(1, std::memory_order_relaxed);
  Period(nullptr, false, nullptr);
}

void ClientPeriod::OnCaptured(AlsaDevice& device, unsigned) {
  TakeSetup();
  ReceiveAll();
  SpscPeriodRing& capture = device.capture();
  SpscPeriodRing& playback = device.playback();
  size_t waiting = std::max<size_t>(capture.filled(), 1);
  // Of a burst (after a stall), as many periods are played as the device's playback fill (two or more) kept
  // playing through the stall. The older ones are encoded and decoded, so the server and the jitter buffer stay
  // in step, but not played: the device already played silence for that part of the stall, and queueing the
  // whole burst would add its length to the delay for good.
  const size_t played = device.playbackPeriods();
  for (const int16_t* in = capture.readSlot(); in != nullptr; in = capture.readSlot()) {
    int16_t* out = waiting <= played ? playback.writeSlot() : nullptr;
    Period(in, true, out);
    capture.commitRead();
    if (out != nullptr) playback.commitWrite();
    if (waiting > 1) waiting--;
  }
}

void ClientPeriod::ReceiveAll() {
  bool toJs = false;
  for (;;) {
    for (size_t k = 0; k < kBatch; k++) {
      msghdr& h = msgs_[k].msg_hdr;
      h.msg_namelen = sizeof(sockaddr_storage);
      h.msg_control = &controlBytes_[k * kTimestampSpace];
      h.msg_controllen = kTimestampSpace;
    }
    int n;
    do {
      // MSG_TRUNC: msg_len is the real length even when the slot was too small.
      n = recvmmsg(fd_, msgs_.data(), static_cast<unsigned>(kBatch), MSG_DONTWAIT | MSG_TRUNC, nullptr);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) break;
    uint64_t monoNow = 0;
    uint64_t realNow = 0;
    for (int k = 0; k < n; k++) {
      uint64_t arrival = 0;
      for (cmsghdr* c = CMSG_FIRSTHDR(&msgs_[k].msg_hdr); c != nullptr; c = CMSG_NXTHDR(&msgs_[k].msg_hdr, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
          timespec ts;
          std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
          arrival = static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
        }
      }
      if (monoNow == 0) {
        monoNow = monotonicNs();
        realNow = realtimeNs();
      }
      // The kernel stamps with CLOCK_REALTIME; the age of the datagram carries over to the monotonic clock.
      const uint64_t age = arrival != 0 && realNow > arrival ? realNow - arrival : 0;
      OnDatagram(&recvData_[static_cast<size_t>(k) * slotBytes_], msgs_[k].msg_len, names_[k], monoNow - age, &toJs);
    }
    if (static_cast<size_t>(n) < kBatch) break;
  }
  if (toJs && notifier_ != nullptr) notifier_->Add(1);
}

void ClientPeriod::OnDatagram(const uint8_t* bytes, size_t length, const sockaddr_storage& from, uint64_t arrivalNs, bool* toJs) {
  ClientSetup* s = current_;
  const size_t stored = length < slotBytes_ ? length : slotBytes_;
  if (s != nullptr && s->server.Matches(from) && !mayBeProtocolFrame(bytes, stored)) {
    if (!s->receiver->put(bytes, length)) {
      counters_.wrongSize.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    counters_.packetsIn.fetch_add(1, std::memory_order_relaxed);
    counters_.lastAudioNs.store(arrivalNs, std::memory_order_relaxed);
    if (counters_.connectedSession.load(std::memory_order_relaxed) != s->session) {
      counters_.connectedSession.store(s->session);
      *toJs = true;
    }
    return;
  }
  if (control_.push(bytes, length, from, arrivalNs)) {
    *toJs = true;
  } else {
    counters_.controlDropped.fetch_add(1, std::memory_order_relaxed);
  }
}

void ClientPeriod::Period(const int16_t* capture, bool decode, int16_t* playback) {
  ClientSetup* s = current_;
  if (s == nullptr || static_cast<unsigned>(s->format.frameSamples) != periodFrames_) {
    // Nothing set up yet, or a setup for another period size (the device was just reopened with a new one and
    // the matching setup is on its way): the device still gets its period of silence.
    if (playback != nullptr) std::memset(playback, 0, static_cast<size_t>(periodFrames_) * playbackChannels_ * sizeof(int16_t));
    return;
  }
  const StreamFormat& f = s->format;
  const int frames = f.frameSamples;
  const size_t samples = static_cast<size_t>(frames) * f.channels;
  int16_t* send = s->send.data();
  if (capture != nullptr) {
    const auto input = static_cast<InputSelection>(params_.input.load(std::memory_order_relaxed));
    if (params_.monoStereo.load(std::memory_order_relaxed)) {
      int16_t* mono = s->mono.data();
      mapCapture(capture, static_cast<int>(captureChannels_), frames, input, mono);
      for (int i = 0; i < frames; i++) send[2 * i] = send[2 * i + 1] = mono[i];
    } else {
      mapCapture(capture, static_cast<int>(captureChannels_), frames, input, send);
    }
  } else {
    std::memset(send, 0, samples * sizeof(int16_t));
  }

  const bool muted = params_.muted.load(std::memory_order_relaxed);
  uint8_t* packet = s->packet.data();
  if (s->server.valid() && s->encoder->encode(muted ? s->silence.data() : send, packet) == f.codedBytes) {
    if (f.sequence) packet[f.codedBytes] = s->sequence++;
    counters_.packetsOut.fetch_add(1, std::memory_order_relaxed);
    if (sendto(fd_, packet, f.packetBytes(), MSG_DONTWAIT, s->server.sa(), s->server.length) < 0) NoteSendError(errno);
  }
  if (!decode) return;

  const int jitter = params_.jitter.load(std::memory_order_relaxed);
  if (jitter != appliedJitter_) {
    appliedJitter_ = jitter;
    s->receiver->setJitter(jitter == 0, jitter == 0 ? kDefaultJitterBlocks : jitter);
  }
  const int16_t* out = s->silence.data();
  if (s->session != 0 && counters_.connectedSession.load(std::memory_order_relaxed) == s->session) {
    s->receiver->decodeNext(s->received.data());
    counters_.underruns.store(s->receiver->underruns(), std::memory_order_relaxed);
    out = s->received.data();
  }
  counters_.jitterSize.store(s->receiver->size(), std::memory_order_relaxed);
  // Muted towards the others, the musician still hears themself: mixed in here, as Jamulus's GUI does.
  if (muted && params_.hearOwn.load(std::memory_order_relaxed)) {
    int16_t* mon = s->monitor.data();
    for (size_t i = 0; i < samples; i++) {
      const int v = out[i] + send[i];
      mon[i] = static_cast<int16_t>(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
    }
    out = mon;
  }
  if (playback != nullptr) mapPlayback(out, f.channels, frames, static_cast<int>(playbackChannels_), playback);
}

}  // namespace riffbox
