// OpusCustomDecoder exposed to JS (opus_codec.h). decode() is on the receive path, so hostile bytes come
// back as a negative opus error code, never an exception; only programming errors (wrong argument types or
// sizes) throw TypeError.
#pragma once
#include <napi.h>

#include <memory>

#include "opus_codec.h"

namespace riffbox {

class OpusDecoderWrap : public Napi::ObjectWrap<OpusDecoderWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit OpusDecoderWrap(const Napi::CallbackInfo& info);

 private:
  Napi::Value Decode(const Napi::CallbackInfo& info);
  void Reset(const Napi::CallbackInfo& info);
  Napi::Value FrameSamples(const Napi::CallbackInfo& info);
  Napi::Value Channels(const Napi::CallbackInfo& info);

  std::unique_ptr<CustomDecoder> decoder_;
};

}  // namespace riffbox
