// One incoming audio stream in its negotiated format (protocol §3): the jitter buffer with its auto-sizer
// and the decoder. The server keeps one per channel (through the JS wrapper in jitter_wraps.cc), the client's
// real-time path one for its server, so both sides run the same buffer policy. Creation allocates; put and
// decodeNext do not, and never throw.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "jitter_auto_size.h"
#include "jitter_buffer.h"
#include "opus_codec.h"

namespace riffbox {

// An audio format as NETW_TRANSPORT_PROPS describes it (appliance/src/protocol/audio-format.ts).
struct StreamFormat {
  int frameSamples = 128;  // 64 (OPUS64) or 128 (OPUS)
  int channels = 1;
  int codedBytes = 0;  // one frame, without the sequence byte
  int factor = 1;      // frames per datagram
  bool sequence = false;

  size_t stride() const { return static_cast<size_t>(codedBytes) + (sequence ? 1 : 0); }
  size_t packetBytes() const { return stride() * static_cast<size_t>(factor); }
};

class StreamReceiver {
 public:
  // decodeNext's result bits.
  static constexpr int kUnderrun = 1;
  static constexpr int kSizeChanged = 2;

  static std::unique_ptr<StreamReceiver> Create(const StreamFormat& format, std::string* error);

  const StreamFormat& format() const { return format_; }
  // Auto sizing on (the size follows the auto-sizer, which sees every put and get) or a fixed size.
  void setJitter(bool autoSize, int fixedBlocks);
  bool autoSize() const { return auto_; }
  int size() const { return jitter_.size(); }
  int autoCurrentSize() const { return sizer_.currentSize(); }
  const JitterBuffer& jitter() const { return jitter_; }
  uint64_t underruns() const { return underruns_; }

  // Files every frame of a datagram; false (nothing filed) when its length is not this format's.
  bool put(const uint8_t* packet, size_t length);
  // Decodes the next frame into out (frameSamples × channels), concealing on an underrun. Returns
  // kUnderrun and/or kSizeChanged (the auto-sizer moved and the buffer follows it).
  int decodeNext(int16_t* out);

 private:
  StreamReceiver(const StreamFormat& format);

  StreamFormat format_;
  JitterBuffer jitter_;
  JitterAutoSize sizer_;
  std::unique_ptr<CustomDecoder> decoder_;
  std::vector<uint8_t> frame_;
  bool auto_ = true;
  uint64_t underruns_ = 0;
};

}  // namespace riffbox
