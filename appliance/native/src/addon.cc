// riffbox_native: the parts of riffbox that must not stall on the JS event loop: the Opus
// custom codec and the jitter buffer both engines share, ALSA duplex audio, the client's whole
// per-period path, and the UDP socket and monotonic clock of the server engine's own loop.
// Context-aware (N-API): every class keeps its state per instance, so the addon loads in any
// number of worker threads.
#include <alsa/asoundlib.h>
#include <napi.h>
#include <opus_custom.h>

#include <cstdarg>

#include "alsa_devices.h"
#include "alsa_duplex.h"
#include "channel_map.h"
#include "client_stream.h"
#include "jitter_wraps.h"
#include "opus_codec.h"
#include "clock.h"
#include "opus_decoder.h"
#include "opus_encoder.h"
#include "rt_thread.h"
#include "udp_socket.h"

namespace {

Napi::Value OpusVersion(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), opus_get_version_string());
}

Napi::Value OpusSimd(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), riffbox::opusSimdDescription()); }

// Puts the calling thread (a worker's JS thread running an audio engine) under SCHED_FIFO, so a
// busy machine cannot starve the tick for 100+ ms; returns false where that is not permitted.
Napi::Value SetThreadRealtime(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "setThreadRealtime(priority): priority must be a number 1..99").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int priority = info[0].As<Napi::Number>().Int32Value();
  if (priority < 1 || priority > 99) {
    Napi::TypeError::New(env, "setThreadRealtime(priority): priority must be a number 1..99").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Boolean::New(env, riffbox::tryRealtime(priority));
}

// Moves the calling thread back to SCHED_OTHER at a nice value (a worker that writes files in a process that
// started under SCHED_FIFO): its work may wait for anything, the audio threads for nothing.
Napi::Value SetThreadBackground(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "setThreadBackground(nice): nice must be a number 0..19").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int nice = info[0].As<Napi::Number>().Int32Value();
  if (nice < 0 || nice > 19) {
    Napi::TypeError::New(env, "setThreadBackground(nice): nice must be a number 0..19").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Boolean::New(env, riffbox::tryBackground(nice));
}

// libasound prints its own diagnostics to stderr for every failed open; a client retrying a missing device
// every second would fill the journal with them. The addon reports each failure once, with its reason, through
// AlsaDuplex.stats(), so libasound's printer is replaced by one that stays silent.
void QuietAlsaErrors(const char*, int, const char*, int, const char*, ...) {}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  snd_lib_error_set_handler(QuietAlsaErrors);
  riffbox::clockOriginNs();  // fix the origin when the addon first loads, not at first use
  exports.Set("OpusCustomEncoder", riffbox::OpusEncoderWrap::Define(env));
  exports.Set("OpusCustomDecoder", riffbox::OpusDecoderWrap::Define(env));
  exports.Set("JitterBuffer", riffbox::JitterBufferWrap::Define(env));
  exports.Set("JitterAutoSize", riffbox::JitterAutoSizeWrap::Define(env));
  exports.Set("StreamReceiver", riffbox::StreamReceiverWrap::Define(env));
  exports.Set("jitter", riffbox::jitterConstants(env));
  exports.Set("ClientStream", riffbox::ClientStream::Define(env));
  exports.Set("mapCapture", Napi::Function::New<riffbox::MapCaptureJs>(env, "mapCapture"));
  exports.Set("mapPlayback", Napi::Function::New<riffbox::MapPlaybackJs>(env, "mapPlayback"));
  exports.Set("AlsaDuplex", riffbox::AlsaDuplex::Define(env));
  exports.Set("listAlsaDevices", Napi::Function::New<riffbox::ListAlsaDevices>(env, "listAlsaDevices"));
  exports.Set("setThreadRealtime", Napi::Function::New<SetThreadRealtime>(env, "setThreadRealtime"));
  exports.Set("setThreadBackground", Napi::Function::New<SetThreadBackground>(env, "setThreadBackground"));
  exports.Set("NativeUdpSocket", riffbox::UdpSocket::Define(env));
  exports.Set("monotonicNowNs", Napi::Function::New<riffbox::MonotonicNowNs>(env, "monotonicNowNs"));
  exports.Set("monotonicOriginNs", Napi::Function::New<riffbox::MonotonicOriginNs>(env, "monotonicOriginNs"));
  exports.Set("opusVersion", Napi::Function::New<OpusVersion>(env, "opusVersion"));
  exports.Set("opusSimd", Napi::Function::New<OpusSimd>(env, "opusSimd"));
  return exports;
}

}  // namespace

NODE_API_MODULE(riffbox_native, Init)
