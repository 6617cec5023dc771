// OpusCustomEncoder exposed to JS: one Jamulus-configured CBR encoder for 64- or 128-sample
// frames, mono or stereo. encode() reads and writes caller-owned typed arrays only.
#pragma once
#include <napi.h>
#include <opus_custom.h>

#include <memory>

namespace riffbox {

class OpusEncoderWrap : public Napi::ObjectWrap<OpusEncoderWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit OpusEncoderWrap(const Napi::CallbackInfo& info);

 private:
  Napi::Value Encode(const Napi::CallbackInfo& info);
  void SetCodedBytes(const Napi::CallbackInfo& info);
  void Reset(const Napi::CallbackInfo& info);
  Napi::Value FrameSamples(const Napi::CallbackInfo& info);
  Napi::Value Channels(const Napi::CallbackInfo& info);
  Napi::Value CodedBytes(const Napi::CallbackInfo& info);
  void ApplyCodedBytes(Napi::Env env, int64_t codedBytes);

  // Owned through unique_ptr so a constructor that throws after creating it does not leak.
  std::unique_ptr<OpusCustomEncoder, void (*)(OpusCustomEncoder*)> encoder_{nullptr, opus_custom_encoder_destroy};
  int frameSamples_ = 0;
  int channels_ = 0;
  int codedBytes_ = 0;
};

}  // namespace riffbox
