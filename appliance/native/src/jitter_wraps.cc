#include "jitter_wraps.h"

#include <cmath>
#include <cstring>
#include <string>

#include "args.h"

namespace riffbox {

namespace {

int optionalInt(Napi::Object o, const char* key, int fallback) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return fallback;
  const double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
  if (!std::isfinite(d) || std::floor(d) != d || d < 1 || d > 1e6) {
    throw Napi::RangeError::New(o.Env(), std::string(key) + " must be a positive integer, got " + v.ToString().Utf8Value());
  }
  return static_cast<int>(d);
}

// A size argument that is not an integer in range is refused like an out-of-range one (false), never thrown.
int sizeArg(const Napi::CallbackInfo& info, size_t index) {
  if (!info[index].IsNumber()) return -1;
  const double d = info[index].As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::floor(d) != d || d < -1 || d > 1e6) return -1;
  return static_cast<int>(d);
}

enum CounterId { kPuts, kGets, kUnderruns, kOverflows, kLateMoves, kEarlyMoves, kDropped, kRejected, kSize, kBlockBytes, kFilled, kSequenced };

}  // namespace

Napi::Function JitterBufferWrap::Define(Napi::Env env) {
  auto counter = [](const char* name, CounterId id) {
    return InstanceAccessor(name, &JitterBufferWrap::Counter, nullptr, napi_enumerable, reinterpret_cast<void*>(id));
  };
  return DefineClass(env, "JitterBuffer",
                     {
                         InstanceMethod<&JitterBufferWrap::Reset>("reset"),
                         InstanceMethod<&JitterBufferWrap::SetSize>("setSize"),
                         InstanceMethod<&JitterBufferWrap::Put>("put"),
                         InstanceMethod<&JitterBufferWrap::Get>("get"),
                         InstanceMethod<&JitterBufferWrap::ResetCounters>("resetCounters"),
                         counter("puts", kPuts),
                         counter("gets", kGets),
                         counter("underruns", kUnderruns),
                         counter("overflows", kOverflows),
                         counter("lateMoves", kLateMoves),
                         counter("earlyMoves", kEarlyMoves),
                         counter("droppedFrames", kDropped),
                         counter("rejected", kRejected),
                         counter("size", kSize),
                         counter("blockBytes", kBlockBytes),
                         counter("filled", kFilled),
                         counter("sequenced", kSequenced),
                     });
}

JitterBufferWrap::JitterBufferWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<JitterBufferWrap>(info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject()) throwType(env, "JitterBuffer: options must be an object");
  Napi::Object o = info[0].As<Napi::Object>();
  if (o.Get("maxBlockBytes").IsUndefined()) {
    throw Napi::RangeError::New(env, "maxBlockBytes must be a positive integer, got undefined");
  }
  const int maxBlockBytes = optionalInt(o, "maxBlockBytes", 0);
  const int maxBlocks = optionalInt(o, "maxBlocks", kMaxJitterBlocks);
  const int size = optionalInt(o, "size", std::min(kDefaultJitterBlocks, maxBlocks));
  jitter_ = std::make_unique<JitterBuffer>(static_cast<size_t>(maxBlockBytes), maxBlocks, size);
}

Napi::Value JitterBufferWrap::Reset(const Napi::CallbackInfo& info) {
  const int bytes = sizeArg(info, 0);
  return Napi::Boolean::New(info.Env(), bytes >= 1 && jitter_->reset(static_cast<size_t>(bytes), info[1].ToBoolean()));
}

Napi::Value JitterBufferWrap::SetSize(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), jitter_->setSize(sizeArg(info, 0)));
}

Napi::Value JitterBufferWrap::Put(const Napi::CallbackInfo& info) {
  TypedView src = typedArrayArg(info, 0, napi_uint8_array, "JitterBuffer.put", "src", "a Uint8Array");
  const int64_t offset = integerArg(info, 1, "JitterBuffer.put", "offset");
  const int64_t length = integerArg(info, 2, "JitterBuffer.put", "length");
  const int64_t seq = integerArg(info, 3, "JitterBuffer.put", "seq");
  if (offset < 0 || length < 0 || static_cast<uint64_t>(offset + length) > src.length) {
    // Refused and counted, like a wrong length: the bytes came from the network.
    jitter_->put(nullptr, 0, -1);
    return Napi::Boolean::New(info.Env(), false);
  }
  const uint8_t* data = static_cast<const uint8_t*>(src.data) + offset;
  return Napi::Boolean::New(info.Env(), jitter_->put(data, static_cast<size_t>(length), static_cast<int>(seq)));
}

Napi::Value JitterBufferWrap::Get(const Napi::CallbackInfo& info) {
  TypedView dst = typedArrayArg(info, 0, napi_uint8_array, "JitterBuffer.get", "dst", "a Uint8Array");
  if (jitter_->blockBytes() == 0 || dst.length < jitter_->blockBytes()) return Napi::Number::New(info.Env(), 0);
  return Napi::Number::New(info.Env(), static_cast<double>(jitter_->get(static_cast<uint8_t*>(dst.data))));
}

void JitterBufferWrap::ResetCounters(const Napi::CallbackInfo& info) { jitter_->resetCounters(); }

Napi::Value JitterBufferWrap::Counter(const Napi::CallbackInfo& info) {
  const JitterCounters& c = jitter_->counters();
  Napi::Env env = info.Env();
  switch (static_cast<CounterId>(reinterpret_cast<intptr_t>(info.Data()))) {
    case kPuts: return Napi::Number::New(env, static_cast<double>(c.puts));
    case kGets: return Napi::Number::New(env, static_cast<double>(c.gets));
    case kUnderruns: return Napi::Number::New(env, static_cast<double>(c.underruns));
    case kOverflows: return Napi::Number::New(env, static_cast<double>(c.overflows));
    case kLateMoves: return Napi::Number::New(env, static_cast<double>(c.lateMoves));
    case kEarlyMoves: return Napi::Number::New(env, static_cast<double>(c.earlyMoves));
    case kDropped: return Napi::Number::New(env, static_cast<double>(c.droppedFrames));
    case kRejected: return Napi::Number::New(env, static_cast<double>(jitter_->rejected()));
    case kSize: return Napi::Number::New(env, jitter_->size());
    case kBlockBytes: return Napi::Number::New(env, static_cast<double>(jitter_->blockBytes()));
    case kFilled: return Napi::Number::New(env, jitter_->filled());
    case kSequenced: return Napi::Boolean::New(env, jitter_->sequenced());
  }
  return env.Undefined();
}

Napi::Function JitterAutoSizeWrap::Define(Napi::Env env) {
  return DefineClass(env, "JitterAutoSize",
                     {
                         InstanceAccessor<&JitterAutoSizeWrap::CurrentSize>("currentSize"),
                         InstanceAccessor<&JitterAutoSizeWrap::FrameSamples>("frameSamples"),
                         InstanceAccessor<&JitterAutoSizeWrap::Changed, &JitterAutoSizeWrap::SetChanged>("changed"),
                         InstanceMethod<&JitterAutoSizeWrap::ErrorRate>("errorRate"),
                         InstanceMethod<&JitterAutoSizeWrap::Reset>("reset"),
                         InstanceMethod<&JitterAutoSizeWrap::OnPut>("onPut"),
                         InstanceMethod<&JitterAutoSizeWrap::OnGet>("onGet"),
                     });
}

JitterAutoSizeWrap::JitterAutoSizeWrap(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<JitterAutoSizeWrap>(info),
      sizer_(info[0].IsUndefined() ? 128 : static_cast<int>(integerArg(info, 0, "JitterAutoSize", "frameSamples")),
             info[1].ToBoolean()) {}

Napi::Value JitterAutoSizeWrap::CurrentSize(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), sizer_.currentSize()); }
Napi::Value JitterAutoSizeWrap::FrameSamples(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), sizer_.frameSamples()); }
Napi::Value JitterAutoSizeWrap::Changed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), sizer_.changed); }
void JitterAutoSizeWrap::SetChanged(const Napi::CallbackInfo& info, const Napi::Value& value) { sizer_.changed = value.ToBoolean(); }
Napi::Value JitterAutoSizeWrap::ErrorRate(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), sizer_.errorRate(static_cast<int>(integerArg(info, 0, "errorRate", "blocks"))));
}
void JitterAutoSizeWrap::Reset(const Napi::CallbackInfo& info) {
  sizer_.reset(static_cast<int>(integerArg(info, 0, "reset", "frameSamples")), info[1].ToBoolean());
}
void JitterAutoSizeWrap::OnPut(const Napi::CallbackInfo& info) { sizer_.onPut(static_cast<int>(integerArg(info, 0, "onPut", "seq"))); }
Napi::Value JitterAutoSizeWrap::OnGet(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), sizer_.onGet()); }

StreamFormat streamFormatArg(Napi::Env env, Napi::Value value, const char* where) {
  if (!value.IsObject()) throwType(env, std::string(where) + ": format must be an object");
  Napi::Object o = value.As<Napi::Object>();
  auto field = [&](const char* key) {
    Napi::Value v = o.Get(key);
    const double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
    if (!std::isfinite(d) || std::floor(d) != d || d < 0 || d > 65535) {
      throwType(env, std::string(where) + ": format." + key + " must be an integer");
    }
    return static_cast<int>(d);
  };
  StreamFormat f;
  f.frameSamples = field("frameSamples");
  f.channels = field("channels");
  f.codedBytes = field("codedBytes");
  f.factor = field("factor");
  f.sequence = o.Get("sequence").ToBoolean();
  return f;
}

Napi::Function StreamReceiverWrap::Define(Napi::Env env) {
  return DefineClass(env, "StreamReceiver",
                     {
                         InstanceMethod<&StreamReceiverWrap::Put>("put"),
                         InstanceMethod<&StreamReceiverWrap::DecodeNext>("decodeNext"),
                         InstanceMethod<&StreamReceiverWrap::SetJitter>("setJitter"),
                         InstanceAccessor<&StreamReceiverWrap::Size>("size"),
                         InstanceAccessor<&StreamReceiverWrap::AutoCurrentSize>("autoCurrentSize"),
                         InstanceAccessor<&StreamReceiverWrap::PacketBytes>("packetBytes"),
                         InstanceMethod<&StreamReceiverWrap::Close>("close"),
                     });
}

StreamReceiverWrap::StreamReceiverWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<StreamReceiverWrap>(info) {
  Napi::Env env = info.Env();
  const StreamFormat format = streamFormatArg(env, info[0], "StreamReceiver");
  format_ = format;
  std::string error;
  receiver_ = StreamReceiver::Create(format, &error);
  if (!receiver_) throw Napi::Error::New(env, error);
}

Napi::Value StreamReceiverWrap::Put(const Napi::CallbackInfo& info) {
  TypedView packet = typedArrayArg(info, 0, napi_uint8_array, "StreamReceiver.put", "packet", "a Uint8Array");
  const int64_t length = integerArg(info, 1, "StreamReceiver.put", "length");
  if (length < 0 || static_cast<uint64_t>(length) > packet.length) {
    throwType(info.Env(), "StreamReceiver.put: length must lie within packet");
  }
  if (!receiver_) return Napi::Boolean::New(info.Env(), false);
  return Napi::Boolean::New(info.Env(), receiver_->put(static_cast<const uint8_t*>(packet.data), static_cast<size_t>(length)));
}

Napi::Value StreamReceiverWrap::DecodeNext(const Napi::CallbackInfo& info) {
  TypedView out = typedArrayArg(info, 0, napi_int16_array, "StreamReceiver.decodeNext", "out", "an Int16Array");
  const StreamFormat& f = format_;
  const size_t samples = static_cast<size_t>(f.frameSamples) * f.channels;
  if (out.length < samples) throwType(info.Env(), "StreamReceiver.decodeNext: out must hold frameSamples*channels samples");
  if (!receiver_) {
    std::memset(out.data, 0, samples * sizeof(int16_t));
    return Napi::Number::New(info.Env(), StreamReceiver::kUnderrun);
  }
  return Napi::Number::New(info.Env(), receiver_->decodeNext(static_cast<int16_t*>(out.data)));
}

void StreamReceiverWrap::SetJitter(const Napi::CallbackInfo& info) {
  // A size out of range (a hostile JITT_BUF_SIZE) leaves the size as it is, like JitterBuffer.setSize.
  const int64_t blocks = integerArg(info, 1, "StreamReceiver.setJitter", "fixedBlocks");
  if (receiver_) receiver_->setJitter(info[0].ToBoolean(), blocks < 0 || blocks > kMaxJitterBlocks ? 0 : static_cast<int>(blocks));
}

Napi::Value StreamReceiverWrap::Size(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), receiver_ ? receiver_->size() : 0);
}
Napi::Value StreamReceiverWrap::AutoCurrentSize(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), receiver_ ? receiver_->autoCurrentSize() : kAutoStartBlocks);
}
Napi::Value StreamReceiverWrap::PacketBytes(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(format_.packetBytes()));
}

// Frees the buffer, its statistics and the decoder now. The server engine's worker never returns to its event
// loop, where finalizers run, so a receiver it merely dropped would keep its native memory for good.
void StreamReceiverWrap::Close(const Napi::CallbackInfo& info) { receiver_.reset(); }

Napi::Object jitterConstants(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("minBlocks", kMinJitterBlocks);
  o.Set("maxBlocks", kMaxJitterBlocks);
  o.Set("defaultBlocks", kDefaultJitterBlocks);
  o.Set("autoBlocks", kAutoJitterBlocks);
  o.Set("autoMinBlocks", kAutoMinBlocks);
  o.Set("autoMaxBlocks", kAutoMaxBlocks);
  o.Set("autoStartBlocks", kAutoStartBlocks);
  return o;
}

}  // namespace riffbox
