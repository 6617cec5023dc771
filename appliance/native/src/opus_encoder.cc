#include "opus_encoder.h"

#include <string>

#include "args.h"

namespace riffbox {

namespace {
int64_t codedBytesArg(const Napi::CallbackInfo& info, size_t index, const char* where) {
  const int64_t n = integerArg(info, index, index == 0 ? "setCodedBytes" : where, "codedBytes");
  if (n < kMinCodedBytes || n > kMaxCodedBytes) {
    throwType(info.Env(), std::string(where) + ": codedBytes must be an integer in 2..1275");
  }
  return n;
}
}  // namespace

Napi::Function OpusEncoderWrap::Define(Napi::Env env) {
  return DefineClass(env, "OpusCustomEncoder",
                     {
                         InstanceMethod<&OpusEncoderWrap::Encode>("encode"),
                         InstanceMethod<&OpusEncoderWrap::SetCodedBytes>("setCodedBytes"),
                         InstanceMethod<&OpusEncoderWrap::Reset>("reset"),
                         InstanceAccessor<&OpusEncoderWrap::FrameSamples>("frameSamples"),
                         InstanceAccessor<&OpusEncoderWrap::Channels>("channels"),
                         InstanceAccessor<&OpusEncoderWrap::CodedBytes>("codedBytes"),
                     });
}

OpusEncoderWrap::OpusEncoderWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<OpusEncoderWrap>(info) {
  Napi::Env env = info.Env();
  const char* where = "OpusCustomEncoder";
  const int64_t frameSamples = integerArg(info, 0, where, "frameSamples");
  const int64_t channels = integerArg(info, 1, where, "channels");
  if (frameSamples != 64 && frameSamples != 128) throwType(env, "OpusCustomEncoder: frameSamples must be 64 or 128");
  if (channels != 1 && channels != 2) throwType(env, "OpusCustomEncoder: channels must be 1 or 2");
  const int64_t codedBytes = codedBytesArg(info, 2, where);
  std::string error;
  encoder_ = CustomEncoder::Create(static_cast<int>(frameSamples), static_cast<int>(channels), static_cast<int>(codedBytes), &error);
  if (!encoder_) throw Napi::Error::New(env, error);
}

Napi::Value OpusEncoderWrap::Encode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  TypedView pcm = typedArrayArg(info, 0, napi_int16_array, "encode", "pcm", "an Int16Array");
  TypedView out = typedArrayArg(info, 1, napi_uint8_array, "encode", "out", "a Uint8Array");
  const int64_t offset = integerArg(info, 2, "encode", "outOffset");
  const size_t needed = static_cast<size_t>(encoder_->frameSamples()) * encoder_->channels();
  const int codedBytes = encoder_->codedBytes();
  if (pcm.length < needed) {
    throwType(env, "encode: pcm must hold frameSamples*channels = " + std::to_string(needed) + " samples");
  }
  if (offset < 0 || static_cast<uint64_t>(offset) + codedBytes > out.length) {
    throwType(env, "encode: out has no room for " + std::to_string(codedBytes) + " bytes at outOffset " +
                       std::to_string(offset));
  }
  const int written = encoder_->encode(static_cast<const int16_t*>(pcm.data), static_cast<uint8_t*>(out.data) + offset);
  if (written < 0) throw Napi::Error::New(env, std::string("opus_custom_encode: ") + opus_strerror(written));
  if (written != codedBytes) {
    throw Napi::Error::New(env, "opus_custom_encode wrote " + std::to_string(written) + " bytes instead of " +
                                    std::to_string(codedBytes));
  }
  return Napi::Number::New(env, written);
}

void OpusEncoderWrap::SetCodedBytes(const Napi::CallbackInfo& info) {
  std::string error;
  if (!encoder_->setCodedBytes(static_cast<int>(codedBytesArg(info, 0, "OpusCustomEncoder")), &error)) {
    throw Napi::Error::New(info.Env(), error);
  }
}

void OpusEncoderWrap::Reset(const Napi::CallbackInfo& info) {
  const int rc = encoder_->reset();
  if (rc != OPUS_OK) throw Napi::Error::New(info.Env(), std::string("OPUS_RESET_STATE: ") + opus_strerror(rc));
}

Napi::Value OpusEncoderWrap::FrameSamples(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), encoder_->frameSamples());
}
Napi::Value OpusEncoderWrap::Channels(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), encoder_->channels());
}
Napi::Value OpusEncoderWrap::CodedBytes(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), encoder_->codedBytes());
}

}  // namespace riffbox
