#include "stream_receiver.h"

namespace riffbox {

StreamReceiver::StreamReceiver(const StreamFormat& format)
    : format_(format),
      jitter_(static_cast<size_t>(format.codedBytes)),
      sizer_(format.frameSamples, format.sequence),
      frame_(static_cast<size_t>(format.codedBytes), 0) {
  jitter_.reset(static_cast<size_t>(format.codedBytes), format.sequence);
  jitter_.setSize(sizer_.currentSize());
}

std::unique_ptr<StreamReceiver> StreamReceiver::Create(const StreamFormat& format, std::string* error) {
  if ((format.frameSamples != 64 && format.frameSamples != 128) || (format.channels != 1 && format.channels != 2) ||
      format.codedBytes < 1 || format.codedBytes > kMaxCodedBytes || format.factor < 1 || format.factor > 4) {
    *error = "StreamReceiver: unsupported format";
    return nullptr;
  }
  std::unique_ptr<StreamReceiver> r(new StreamReceiver(format));
  r->decoder_ = CustomDecoder::Create(format.frameSamples, format.channels, error);
  if (!r->decoder_) return nullptr;
  return r;
}

void StreamReceiver::setJitter(bool autoSize, int fixedBlocks) {
  auto_ = autoSize;
  jitter_.setSize(autoSize ? sizer_.currentSize() : fixedBlocks);
}

bool StreamReceiver::put(const uint8_t* packet, size_t length) {
  const StreamFormat& f = format_;
  if (length != f.packetBytes()) return false;
  const size_t stride = f.stride();
  for (int i = 0; i < f.factor; i++) {
    const uint8_t* frame = packet + static_cast<size_t>(i) * stride;
    const int seq = f.sequence ? frame[f.codedBytes] : -1;
    jitter_.put(frame, static_cast<size_t>(f.codedBytes), seq);
    if (auto_) sizer_.onPut(seq);
  }
  return true;
}

int StreamReceiver::decodeNext(int16_t* out) {
  int result = 0;
  const size_t n = jitter_.get(frame_.data());
  if (auto_ && sizer_.onGet()) {
    jitter_.setSize(sizer_.currentSize());
    result |= kSizeChanged;
  }
  if (n > 0 && decoder_->decode(frame_.data(), static_cast<int>(n), out) > 0) return result;
  underruns_++;
  decoder_->decode(nullptr, 0, out);
  return result | kUnderrun;
}

}  // namespace riffbox
