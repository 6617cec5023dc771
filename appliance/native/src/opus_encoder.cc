#include "opus_encoder.h"

#include <string>

#include "args.h"
#include "opus_modes.h"

namespace riffbox {

namespace {
constexpr int kSampleRate = 48000;
// opus_custom_encode refuses fewer than 2 bytes and caps at 1275 (the largest CELT frame).
constexpr int kMinCodedBytes = 2;
constexpr int kMaxCodedBytes = 1275;

[[noreturn]] void throwOpus(Napi::Env env, const char* what, int code) {
  throw Napi::Error::New(env, std::string(what) + ": " + opus_strerror(code));
}

void checkCtl(Napi::Env env, const char* what, int code) {
  if (code != OPUS_OK) throwOpus(env, what, code);
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
  int64_t frameSamples = integerArg(info, 0, where, "frameSamples");
  int64_t channels = integerArg(info, 1, where, "channels");
  int64_t codedBytes = integerArg(info, 2, where, "codedBytes");
  if (frameSamples != 64 && frameSamples != 128) throwType(env, "OpusCustomEncoder: frameSamples must be 64 or 128");
  if (channels != 1 && channels != 2) throwType(env, "OpusCustomEncoder: channels must be 1 or 2");
  frameSamples_ = static_cast<int>(frameSamples);
  channels_ = static_cast<int>(channels);

  int error = OPUS_OK;
  OpusCustomMode* mode = sharedOpusMode(frameSamples_, &error);
  if (mode == nullptr) throwOpus(env, "opus_custom_mode_create", error);
  encoder_.reset(opus_custom_encoder_create(mode, channels_, &error));
  if (encoder_ == nullptr || error != OPUS_OK) throwOpus(env, "opus_custom_encoder_create", error);

  // The reference client and server: CBR so every frame is exactly the negotiated size; for
  // 64-sample frames an expected loss of 35 % (the reference found PLC artifacts loud
  // otherwise); for 128-sample frames complexity 1 (64-sample frames keep the default).
  checkCtl(env, "OPUS_SET_VBR", opus_custom_encoder_ctl(encoder_.get(), OPUS_SET_VBR(0)));
  if (frameSamples_ == 64) {
    checkCtl(env, "OPUS_SET_PACKET_LOSS_PERC", opus_custom_encoder_ctl(encoder_.get(), OPUS_SET_PACKET_LOSS_PERC(35)));
  } else {
    checkCtl(env, "OPUS_SET_COMPLEXITY", opus_custom_encoder_ctl(encoder_.get(), OPUS_SET_COMPLEXITY(1)));
  }
  // The reference also asks for "restricted low delay"; a CELT-only custom encoder is that by
  // construction and opus 1.3/1.5 answer OPUS_UNIMPLEMENTED, which is therefore accepted.
  int app = opus_custom_encoder_ctl(encoder_.get(), OPUS_SET_APPLICATION(OPUS_APPLICATION_RESTRICTED_LOWDELAY));
  if (app != OPUS_OK && app != OPUS_UNIMPLEMENTED) throwOpus(env, "OPUS_SET_APPLICATION", app);
  ApplyCodedBytes(env, codedBytes);
}

void OpusEncoderWrap::ApplyCodedBytes(Napi::Env env, int64_t codedBytes) {
  if (codedBytes < kMinCodedBytes || codedBytes > kMaxCodedBytes) {
    throwType(env, "OpusCustomEncoder: codedBytes must be an integer in 2..1275");
  }
  // bitrate = 48000 * bytes * 8 / frameSamples: the CBR encoder caps each frame at the byte
  // count this bitrate yields, so it must match codedBytes exactly (it divides evenly for 64
  // and 128).
  int bitrate = static_cast<int>(kSampleRate * codedBytes * 8 / frameSamples_);
  checkCtl(env, "OPUS_SET_BITRATE", opus_custom_encoder_ctl(encoder_.get(), OPUS_SET_BITRATE(bitrate)));
  codedBytes_ = static_cast<int>(codedBytes);
}

Napi::Value OpusEncoderWrap::Encode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  TypedView pcm = typedArrayArg(info, 0, napi_int16_array, "encode", "pcm", "an Int16Array");
  TypedView out = typedArrayArg(info, 1, napi_uint8_array, "encode", "out", "a Uint8Array");
  int64_t offset = integerArg(info, 2, "encode", "outOffset");
  size_t needed = static_cast<size_t>(frameSamples_) * channels_;
  if (pcm.length < needed) {
    throwType(env, "encode: pcm must hold frameSamples*channels = " + std::to_string(needed) + " samples");
  }
  if (offset < 0 || static_cast<uint64_t>(offset) + codedBytes_ > out.length) {
    throwType(env, "encode: out has no room for " + std::to_string(codedBytes_) + " bytes at outOffset " +
                       std::to_string(offset));
  }
  uint8_t* dest = static_cast<uint8_t*>(out.data) + offset;
  int written = opus_custom_encode(encoder_.get(), static_cast<const opus_int16*>(pcm.data), frameSamples_, dest, codedBytes_);
  if (written < 0) throwOpus(env, "opus_custom_encode", written);
  if (written != codedBytes_) {
    throw Napi::Error::New(env, "opus_custom_encode wrote " + std::to_string(written) + " bytes instead of " +
                                    std::to_string(codedBytes_));
  }
  return Napi::Number::New(env, written);
}

void OpusEncoderWrap::SetCodedBytes(const Napi::CallbackInfo& info) {
  ApplyCodedBytes(info.Env(), integerArg(info, 0, "setCodedBytes", "codedBytes"));
}

void OpusEncoderWrap::Reset(const Napi::CallbackInfo& info) {
  checkCtl(info.Env(), "OPUS_RESET_STATE", opus_custom_encoder_ctl(encoder_.get(), OPUS_RESET_STATE));
}

Napi::Value OpusEncoderWrap::FrameSamples(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), frameSamples_);
}
Napi::Value OpusEncoderWrap::Channels(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), channels_);
}
Napi::Value OpusEncoderWrap::CodedBytes(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), codedBytes_);
}

}  // namespace riffbox
