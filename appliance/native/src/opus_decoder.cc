#include "opus_decoder.h"

#include <string>

#include "args.h"

namespace riffbox {

Napi::Function OpusDecoderWrap::Define(Napi::Env env) {
  return DefineClass(env, "OpusCustomDecoder",
                     {
                         InstanceMethod<&OpusDecoderWrap::Decode>("decode"),
                         InstanceMethod<&OpusDecoderWrap::Reset>("reset"),
                         InstanceAccessor<&OpusDecoderWrap::FrameSamples>("frameSamples"),
                         InstanceAccessor<&OpusDecoderWrap::Channels>("channels"),
                     });
}

OpusDecoderWrap::OpusDecoderWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<OpusDecoderWrap>(info) {
  Napi::Env env = info.Env();
  const int64_t frameSamples = integerArg(info, 0, "OpusCustomDecoder", "frameSamples");
  const int64_t channels = integerArg(info, 1, "OpusCustomDecoder", "channels");
  if (frameSamples != 64 && frameSamples != 128) throwType(env, "OpusCustomDecoder: frameSamples must be 64 or 128");
  if (channels != 1 && channels != 2) throwType(env, "OpusCustomDecoder: channels must be 1 or 2");
  std::string error;
  decoder_ = CustomDecoder::Create(static_cast<int>(frameSamples), static_cast<int>(channels), &error);
  if (!decoder_) throw Napi::Error::New(env, error);
}

Napi::Value OpusDecoderWrap::Decode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  TypedView out = typedArrayArg(info, 3, napi_int16_array, "decode", "out", "an Int16Array");
  const size_t needed = static_cast<size_t>(decoder_->frameSamples()) * decoder_->channels();
  if (out.length < needed) {
    throwType(env, "decode: out must hold frameSamples*channels = " + std::to_string(needed) + " samples");
  }
  const uint8_t* data = nullptr;
  int length = 0;
  Napi::Value packet = info[0];
  if (!packet.IsNull() && !packet.IsUndefined()) {
    TypedView in = typedArrayArg(info, 0, napi_uint8_array, "decode", "packet", "a Uint8Array or null");
    const int64_t offset = integerArg(info, 1, "decode", "offset");
    const int64_t len = integerArg(info, 2, "decode", "length");
    if (offset < 0 || len < 0 || static_cast<uint64_t>(offset) + static_cast<uint64_t>(len) > in.length) {
      throwType(env, "decode: offset " + std::to_string(offset) + " + length " + std::to_string(len) +
                         " exceeds the packet's " + std::to_string(in.length) + " bytes");
    }
    // Longer than any CELT frame: hand opus the bad length so it answers OPUS_BAD_ARG rather than
    // truncating the count into int.
    length = len > 0x7fffffff ? 0x7fffffff : static_cast<int>(len);
    data = static_cast<const uint8_t*>(in.data) + offset;
  }
  return Napi::Number::New(env, decoder_->decode(data, length, static_cast<int16_t*>(out.data)));
}

void OpusDecoderWrap::Reset(const Napi::CallbackInfo& info) {
  const int rc = decoder_->reset();
  if (rc != OPUS_OK) throw Napi::Error::New(info.Env(), std::string("OPUS_RESET_STATE: ") + opus_strerror(rc));
}

Napi::Value OpusDecoderWrap::FrameSamples(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), decoder_->frameSamples());
}
Napi::Value OpusDecoderWrap::Channels(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), decoder_->channels());
}

}  // namespace riffbox
