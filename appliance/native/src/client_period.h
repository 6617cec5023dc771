// The client's per-period path, run on the audio device's thread (alsa_device.h) with one wake-up per
// period: take the datagrams waiting on the socket (the server's audio into the jitter buffer, anything else
// onto a ring for JS), map the captured period to the stream, encode and send it, decode the server's mix,
// add the own signal when muted towards the others, and queue it for playback. While the device is lost the
// same path runs on a period clock and sends silence, so the session survives an unplugged interface.
// JS (appliance/src/client/) keeps the connection, the acknowledged protocol and the settings; it hands this
// path a whole ClientSetup when the session or format changes and flips atomics for live settings, and
// reads counters. Nothing here allocates, locks or calls JS on the audio thread.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "alsa_device.h"
#include "channel_map.h"
#include "coalescing_notifier.h"
#include "datagram_ring.h"
#include "stream_receiver.h"
#include "udp_open.h"

namespace riffbox {

// What the audio thread needs for one session and format: built whole on the JS thread.
struct ClientSetup {
  // No valid server: no session; the device still runs (silence, or the own signal when muted).
  PeerAddress server;
  StreamFormat format;
  // Numbers the session (JS's count; 0 without one), so "connected" always names the session it is about.
  uint32_t session = 0;
  // Already connected (a format change mid-session): decode at once.
  bool startConnected = false;
  std::unique_ptr<CustomEncoder> encoder;
  std::unique_ptr<StreamReceiver> receiver;
  std::vector<int16_t> send, received, silence, monitor, mono;
  std::vector<uint8_t> packet;
  uint8_t sequence = 0;
};

// Live settings, read by the audio thread every period.
struct ClientParams {
  std::atomic<bool> muted{false};
  std::atomic<bool> hearOwn{false};
  std::atomic<int> input{static_cast<int>(InputSelection::kInput1)};
  // Mono input sent as a stereo stream (Jamulus's mono-in/stereo-out).
  std::atomic<bool> monoStereo{false};
  // 0: auto, 1…20: fixed size.
  std::atomic<int> jitter{0};
};

struct ClientCounters {
  std::atomic<uint64_t> packetsOut{0};
  std::atomic<uint64_t> packetsIn{0};
  std::atomic<uint64_t> wrongSize{0};
  std::atomic<uint64_t> underruns{0};
  std::atomic<uint64_t> fallbackPeriods{0};
  std::atomic<uint64_t> controlDropped{0};
  std::atomic<uint64_t> sendErrors{0};
  std::atomic<int> sendErrno{0};
  // CLOCK_MONOTONIC ns of the last audio datagram from the server.
  std::atomic<uint64_t> lastAudioNs{0};
  std::atomic<int> jitterSize{0};
  // The session whose first server audio arrived (0: none yet).
  std::atomic<uint32_t> connectedSession{0};
};

class ClientPeriod : public PeriodHandler {
 public:
  ClientPeriod(int socketFd, size_t controlSlots, size_t slotBytes, CoalescingNotifier* notifier);
  ~ClientPeriod() override;

  // JS thread. The device's shape, before its thread starts.
  void SetDevice(unsigned periodFrames, unsigned captureChannels, unsigned playbackChannels);
  // JS thread: hands a new setup to the audio thread (replacing one it has not taken yet).
  void Publish(std::unique_ptr<ClientSetup> setup);
  // JS thread: frees the setup the audio thread let go of.
  void CollectRetired();
  ClientParams& params() { return params_; }
  const ClientCounters& counters() const { return counters_; }
  DatagramRing& control() { return control_; }
  void NoteSendError(int err);

  // Audio thread.
  void OnCaptured(AlsaDevice& device, unsigned periods) override;
  uint64_t LostClockPeriodNs() override;
  void OnLostPeriod() override;

 private:
  void TakeSetup();
  void ReceiveAll();
  void OnDatagram(const uint8_t* bytes, size_t length, const sockaddr_storage& from, uint64_t arrivalNs, bool* toJs);
  // One period: capture (nullptr: silence) to the stream, encode and send; with decode, the server's mix
  // (plus the own signal) into playback (nullptr: not played).
  void Period(const int16_t* capture, bool decode, int16_t* playback);

  const int fd_;
  CoalescingNotifier* const notifier_;
  DatagramRing control_;
  ClientParams params_;
  ClientCounters counters_;
  std::atomic<uint64_t> periodNs_{0};
  std::atomic<bool> sessionOn_{false};
  unsigned periodFrames_ = 128;
  unsigned captureChannels_ = 2;
  unsigned playbackChannels_ = 2;

  ClientSetup* current_ = nullptr;  // audio thread
  std::atomic<ClientSetup*> pending_{nullptr};
  std::atomic<ClientSetup*> retired_{nullptr};
  int appliedJitter_ = -1;

  // recvmmsg batch, with room for each datagram's receive timestamp.
  static constexpr size_t kBatch = 8;
  const size_t slotBytes_;
  std::vector<uint8_t> recvData_;
  std::vector<mmsghdr> msgs_;
  std::vector<iovec> iov_;
  std::vector<sockaddr_storage> names_;
  std::vector<uint8_t> controlBytes_;
};

}  // namespace riffbox
