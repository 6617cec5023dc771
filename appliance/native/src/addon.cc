// riffbox_native: the parts of riffbox that must not stall on the JS event loop: the Opus
// custom codec, the frame tick thread and ALSA duplex audio.
// Context-aware (N-API): every class keeps its state per instance, so the addon loads in any
// number of worker threads.
#include <napi.h>
#include <opus_custom.h>

#include "alsa_devices.h"
#include "alsa_duplex.h"
#include "opus_decoder.h"
#include "opus_encoder.h"
#include "tick_timer.h"

namespace {

Napi::Value OpusVersion(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), opus_get_version_string());
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("OpusCustomEncoder", riffbox::OpusEncoderWrap::Define(env));
  exports.Set("OpusCustomDecoder", riffbox::OpusDecoderWrap::Define(env));
  exports.Set("TickTimer", riffbox::TickTimer::Define(env));
  exports.Set("AlsaDuplex", riffbox::AlsaDuplex::Define(env));
  exports.Set("listAlsaDevices", Napi::Function::New<riffbox::ListAlsaDevices>(env, "listAlsaDevices"));
  exports.Set("opusVersion", Napi::Function::New<OpusVersion>(env, "opusVersion"));
  return exports;
}

}  // namespace

NODE_API_MODULE(riffbox_native, Init)
