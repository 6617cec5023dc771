// The Opus custom codec as Jamulus configures it (protocol reference §3.1), as plain C++ objects: the JS
// wrappers (opus_encoder.cc, opus_decoder.cc), the server's stream receiver and the client's real-time path
// all use these, so the encoder settings are written once. Creation allocates; encode and decode do not.
#pragma once
#include <opus_custom.h>

#include <cstdint>
#include <memory>
#include <string>

namespace riffbox {

constexpr int kOpusSampleRate = 48000;
// opus_custom_encode refuses fewer than 2 bytes and caps at 1275 (the largest CELT frame).
constexpr int kMinCodedBytes = 2;
constexpr int kMaxCodedBytes = 1275;

class CustomEncoder {
 public:
  // frameSamples 64 or 128, channels 1 or 2, codedBytes 2…1275 (checked by the caller). nullptr and *error
  // when opus refuses.
  static std::unique_ptr<CustomEncoder> Create(int frameSamples, int channels, int codedBytes, std::string* error);

  int frameSamples() const { return frameSamples_; }
  int channels() const { return channels_; }
  int codedBytes() const { return codedBytes_; }
  // CBR at exactly codedBytes per frame; false and *error when opus refuses the bitrate.
  bool setCodedBytes(int codedBytes, std::string* error);
  // Encodes frameSamples × channels interleaved samples into codedBytes bytes at out; returns the bytes
  // written or a negative opus error code.
  int encode(const int16_t* pcm, uint8_t* out);
  int reset();

 private:
  CustomEncoder() = default;
  std::unique_ptr<OpusCustomEncoder, void (*)(OpusCustomEncoder*)> encoder_{nullptr, opus_custom_encoder_destroy};
  int frameSamples_ = 0;
  int channels_ = 0;
  int codedBytes_ = 0;
};

class CustomDecoder {
 public:
  static std::unique_ptr<CustomDecoder> Create(int frameSamples, int channels, std::string* error);

  int frameSamples() const { return frameSamples_; }
  int channels() const { return channels_; }
  // Decodes one frame into out (frameSamples × channels); data nullptr (or length 0) conceals a lost frame.
  // Returns the samples per channel, or a negative opus error code for bytes it cannot decode.
  int decode(const uint8_t* data, int length, int16_t* out);
  int reset();

 private:
  CustomDecoder() = default;
  std::unique_ptr<OpusCustomDecoder, void (*)(OpusCustomDecoder*)> decoder_{nullptr, opus_custom_decoder_destroy};
  int frameSamples_ = 0;
  int channels_ = 0;
};

// Which SIMD paths the bundled opus was built with ("generic C" for none), for the codec benchmark.
const char* opusSimdDescription();

}  // namespace riffbox
