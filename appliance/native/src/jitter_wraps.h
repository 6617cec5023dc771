// The jitter buffer, its auto-sizer and the stream receiver exposed to JS: StreamReceiver for the server's
// channels (one call per datagram, one per decoded frame), JitterBuffer and JitterAutoSize so the policy
// can be driven event by event (test/unit/jitter-buffer.test.ts).
#pragma once
#include <napi.h>

#include <memory>

#include "jitter_auto_size.h"
#include "jitter_buffer.h"
#include "stream_receiver.h"

namespace riffbox {

class JitterBufferWrap : public Napi::ObjectWrap<JitterBufferWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit JitterBufferWrap(const Napi::CallbackInfo& info);

 private:
  Napi::Value Reset(const Napi::CallbackInfo& info);
  Napi::Value SetSize(const Napi::CallbackInfo& info);
  Napi::Value Put(const Napi::CallbackInfo& info);
  Napi::Value Get(const Napi::CallbackInfo& info);
  void ResetCounters(const Napi::CallbackInfo& info);
  Napi::Value Counter(const Napi::CallbackInfo& info);

  std::unique_ptr<JitterBuffer> jitter_;
};

class JitterAutoSizeWrap : public Napi::ObjectWrap<JitterAutoSizeWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit JitterAutoSizeWrap(const Napi::CallbackInfo& info);

 private:
  Napi::Value CurrentSize(const Napi::CallbackInfo& info);
  Napi::Value FrameSamples(const Napi::CallbackInfo& info);
  Napi::Value Changed(const Napi::CallbackInfo& info);
  void SetChanged(const Napi::CallbackInfo& info, const Napi::Value& value);
  Napi::Value ErrorRate(const Napi::CallbackInfo& info);
  void Reset(const Napi::CallbackInfo& info);
  void OnPut(const Napi::CallbackInfo& info);
  Napi::Value OnGet(const Napi::CallbackInfo& info);

  JitterAutoSize sizer_;
};

class StreamReceiverWrap : public Napi::ObjectWrap<StreamReceiverWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit StreamReceiverWrap(const Napi::CallbackInfo& info);

 private:
  Napi::Value Put(const Napi::CallbackInfo& info);
  Napi::Value DecodeNext(const Napi::CallbackInfo& info);
  void SetJitter(const Napi::CallbackInfo& info);
  Napi::Value Size(const Napi::CallbackInfo& info);
  Napi::Value AutoCurrentSize(const Napi::CallbackInfo& info);
  Napi::Value PacketBytes(const Napi::CallbackInfo& info);
  void Close(const Napi::CallbackInfo& info);

  std::unique_ptr<StreamReceiver> receiver_;
  StreamFormat format_;
};

// Parses {frameSamples, channels, codedBytes, factor, sequence} (an AudioFormat); TypeError when malformed.
StreamFormat streamFormatArg(Napi::Env env, Napi::Value value, const char* where);
// The jitter facts TS needs (sizes, the "auto" wire value), declared here once.
Napi::Object jitterConstants(Napi::Env env);

}  // namespace riffbox
