// OpusCustomEncoder exposed to JS: one Jamulus-configured CBR encoder for 64- or 128-sample
// frames, mono or stereo (opus_codec.h). encode() reads and writes caller-owned typed arrays only.
#pragma once
#include <napi.h>

#include <memory>

#include "opus_codec.h"

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

  std::unique_ptr<CustomEncoder> encoder_;
};

}  // namespace riffbox
