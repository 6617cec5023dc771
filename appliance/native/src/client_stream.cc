#include "client_stream.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

#include "alsa_duplex.h"
#include "args.h"
#include "clock.h"
#include "jitter_wraps.h"

namespace riffbox {

namespace {

const char* const kWhere = "ClientStream";

size_t sizeOption(Napi::Object o, const char* key, size_t fallback, size_t min, size_t max) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return fallback;
  const double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
  if (!std::isfinite(d) || std::floor(d) != d || d < static_cast<double>(min) || d > static_cast<double>(max)) {
    throwType(o.Env(), std::string(kWhere) + ": options." + key + " must be an integer in " + std::to_string(min) + ".." +
                           std::to_string(max));
  }
  return static_cast<size_t>(d);
}

int jitterValue(Napi::Env env, Napi::Object o) {
  if (o.Get("jitterAuto").ToBoolean()) return 0;
  Napi::Value v = o.Get("jitterSize");
  const double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
  if (!std::isfinite(d) || std::floor(d) != d || d < kMinJitterBlocks || d > kMaxJitterBlocks) {
    throwType(env, std::string(kWhere) + ": jitterSize must be an integer in 1..20");
  }
  return static_cast<int>(d);
}

PeerAddress serverArg(Napi::Env env, Napi::Value v) {
  if (v.IsNull() || v.IsUndefined()) return PeerAddress{};
  if (!v.IsObject()) throwType(env, std::string(kWhere) + ": server must be {addr, port} or null");
  Napi::Object o = v.As<Napi::Object>();
  const double addr = o.Get("addr").IsNumber() ? o.Get("addr").As<Napi::Number>().DoubleValue() : -1;
  const double port = o.Get("port").IsNumber() ? o.Get("port").As<Napi::Number>().DoubleValue() : -1;
  if (!(addr >= 0 && addr <= 4294967295.0) || std::floor(addr) != addr || !(port >= 1 && port <= 65535) ||
      std::floor(port) != port) {
    throwType(env, std::string(kWhere) + ": server.addr must be an IPv4 uint32 and server.port 1..65535");
  }
  return PeerAddress::Ipv4(static_cast<uint32_t>(addr), static_cast<uint16_t>(port));
}

}  // namespace

Napi::Function ClientStream::Define(Napi::Env env) {
  return DefineClass(env, "ClientStream",
                     {
                         InstanceMethod<&ClientStream::OpenDevice>("openDevice"),
                         InstanceMethod<&ClientStream::CloseDevice>("closeDevice"),
                         InstanceAccessor<&ClientStream::DeviceState>("deviceState"),
                         InstanceMethod<&ClientStream::DeviceStats>("deviceStats"),
                         InstanceMethod<&ClientStream::SetSetup>("setSetup"),
                         InstanceMethod<&ClientStream::SetParams>("setParams"),
                         InstanceMethod<&ClientStream::Receive>("receive"),
                         InstanceMethod<&ClientStream::SendTo>("sendTo"),
                         InstanceMethod<&ClientStream::Counters>("counters"),
                         InstanceAccessor<&ClientStream::Connected>("connectedSession"),
                         InstanceAccessor<&ClientStream::LastAudioNs>("lastAudioNs"),
                         InstanceAccessor<&ClientStream::Port>("port"),
                         InstanceMethod<&ClientStream::Close>("close"),
                     });
}

// new ClientStream({slotBytes, controlSlots, recvBufferBytes, sendBufferBytes}, onWake)
ClientStream::ClientStream(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ClientStream>(info) {
  Napi::Env env = info.Env();
  env_ = env;
  if (!info[0].IsObject()) throwType(env, std::string(kWhere) + ": options must be an object");
  if (!info[1].IsFunction()) throwType(env, std::string(kWhere) + ": onWake must be a function");
  Napi::Object o = info[0].As<Napi::Object>();
  const size_t slotBytes = sizeOption(o, "slotBytes", 2048, 16, 65536);
  const size_t controlSlots = sizeOption(o, "controlSlots", 64, 1, 4096);
  const int recvBuffer = static_cast<int>(sizeOption(o, "recvBufferBytes", 0, 0, 64 << 20));
  const int sendBuffer = static_cast<int>(sizeOption(o, "sendBufferBytes", 0, 0, 64 << 20));

  const UdpOpenResult r = openUdpSocket(PeerAddress::Ipv4(0, 0), recvBuffer, sendBuffer);
  if (r.fd < 0) {
    Napi::Error e = Napi::Error::New(env, std::string(kWhere) + ": " + r.syscall + ": " + errnoName(r.err) + " (" +
                                              std::strerror(r.err) + ")");
    e.Set("code", Napi::String::New(env, errnoName(r.err)));
    throw e;
  }
  fd_ = r.fd;
  port_ = r.port;
  // Kernel receive times, so the ping's round trip is exact although the socket is read once per period.
  const int on = 1;
  setsockopt(fd_, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);

  callback_ = Napi::Persistent(info[1].As<Napi::Function>());
  if (!notifier_.Open(env, callback_.Value(), "riffbox.ClientStream")) {
    ::close(fd_);
    throw Napi::Error::New(env, std::string(kWhere) + ": napi_create_threadsafe_function failed");
  }
  period_ = std::make_unique<ClientPeriod>(fd_, controlSlots, slotBytes, &notifier_);
  if (napi_add_env_cleanup_hook(env, &ClientStream::EnvCleanup, this) != napi_ok) {
    notifier_.Close();
    ::close(fd_);
    throw Napi::Error::New(env, std::string(kWhere) + ": napi_add_env_cleanup_hook failed");
  }
  cleanupHookAdded_ = true;
}

ClientStream::~ClientStream() { Halt(); }

void ClientStream::Halt() {
  if (device_) device_->Halt();
  device_.reset();
  notifier_.Close();
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (cleanupHookAdded_) {
    napi_remove_env_cleanup_hook(env_, &ClientStream::EnvCleanup, this);
    cleanupHookAdded_ = false;
  }
}

void ClientStream::EnvCleanup(void* arg) {
  auto* self = static_cast<ClientStream*>(arg);
  self->cleanupHookAdded_ = false;
  self->Halt();
}

void ClientStream::RequireOpen(Napi::Env env, const char* where) const {
  if (fd_ < 0) throw Napi::Error::New(env, std::string(kWhere) + "." + where + "(): closed");
}

// openDevice(alsaOptions): replaces the device (and its thread); the session and its setup stay.
void ClientStream::OpenDevice(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireOpen(env, "openDevice");
  const AlsaOptions options = alsaOptionsArg(env, info[0], "ClientStream.openDevice");
  if (device_) device_->Halt();
  device_.reset();
  period_->SetDevice(options.periodFrames, options.captureChannels, options.playbackChannels);
  try {
    device_ = std::make_unique<AlsaDevice>(options, period_.get());
  } catch (const std::runtime_error& e) {
    throw Napi::Error::New(env, std::string("ClientStream.openDevice: ") + e.what());
  }
}

void ClientStream::CloseDevice(const Napi::CallbackInfo& info) {
  if (device_) device_->Halt();
  device_.reset();
}

Napi::Value ClientStream::DeviceState(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), device_ ? device_->StateText() : "stopped");
}

Napi::Value ClientStream::DeviceStats(const Napi::CallbackInfo& info) {
  if (!device_) return info.Env().Null();
  return alsaStatsObject(info.Env(), *device_);
}

// setSetup({format, server: {addr, port} | null, session, connected, jitterAuto, jitterSize})
void ClientStream::SetSetup(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireOpen(env, "setSetup");
  if (!info[0].IsObject()) throwType(env, std::string(kWhere) + ".setSetup: setup must be an object");
  Napi::Object o = info[0].As<Napi::Object>();
  auto setup = std::make_unique<ClientSetup>();
  setup->format = streamFormatArg(env, o.Get("format"), "ClientStream.setSetup");
  const StreamFormat& f = setup->format;
  if (f.factor != 1 || f.codedBytes < kMinCodedBytes || f.codedBytes > kMaxCodedBytes) {
    throwType(env, std::string(kWhere) + ".setSetup: a client format has factor 1 and codedBytes 2..1275");
  }
  setup->server = serverArg(env, o.Get("server"));
  const double session = o.Get("session").IsNumber() ? o.Get("session").As<Napi::Number>().DoubleValue() : -1;
  if (!(session >= 0 && session <= 4294967295.0) || std::floor(session) != session) {
    throwType(env, std::string(kWhere) + ".setSetup: session must be a uint32");
  }
  setup->session = setup->server.valid() ? static_cast<uint32_t>(session) : 0;
  setup->startConnected = setup->session != 0 && o.Get("connected").ToBoolean();
  std::string error;
  setup->encoder = CustomEncoder::Create(f.frameSamples, f.channels, f.codedBytes, &error);
  if (setup->encoder) setup->receiver = StreamReceiver::Create(f, &error);
  if (!setup->encoder || !setup->receiver) throw Napi::Error::New(env, std::string(kWhere) + ".setSetup: " + error);
  const int jitter = jitterValue(env, o);
  setup->receiver->setJitter(jitter == 0, jitter == 0 ? kDefaultJitterBlocks : jitter);
  const size_t samples = static_cast<size_t>(f.frameSamples) * f.channels;
  setup->send.assign(samples, 0);
  setup->received.assign(samples, 0);
  setup->silence.assign(samples, 0);
  setup->monitor.assign(samples, 0);
  setup->mono.assign(static_cast<size_t>(f.frameSamples), 0);
  setup->packet.assign(f.packetBytes(), 0);
  period_->params().jitter.store(jitter);
  period_->Publish(std::move(setup));
  // A lost device sleeps a second at a time: let it start (or stop) its period clock now.
  if (device_) device_->Wake();
}

// setParams({muted, hearOwn, input: 'input1'|'input2'|'stereo', monoStereo, jitterAuto, jitterSize})
void ClientStream::SetParams(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject()) throwType(env, std::string(kWhere) + ".setParams: params must be an object");
  Napi::Object o = info[0].As<Napi::Object>();
  const std::string input = o.Get("input").IsString() ? o.Get("input").As<Napi::String>().Utf8Value() : "";
  InputSelection selection;
  if (input == "input1") selection = InputSelection::kInput1;
  else if (input == "input2") selection = InputSelection::kInput2;
  else if (input == "stereo") selection = InputSelection::kStereo;
  else throwType(env, std::string(kWhere) + ".setParams: input must be 'input1', 'input2' or 'stereo'");
  const int jitter = jitterValue(env, o);
  ClientParams& p = period_->params();
  p.muted.store(o.Get("muted").ToBoolean());
  p.hearOwn.store(o.Get("hearOwn").ToBoolean());
  p.input.store(static_cast<int>(selection));
  p.monoStereo.store(o.Get("monoStereo").ToBoolean());
  p.jitter.store(jitter);
  period_->CollectRetired();
}

// receive(data, meta): the oldest datagram the audio thread passed on, copied into data; meta gets
// [IPv4 as uint32 (−1 for another family), port, arrival on the monotonicNowNs() scale, real length].
// Returns the bytes copied, or −1 when none is waiting.
Napi::Value ClientStream::Receive(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  TypedView data = typedArrayArg(info, 0, napi_uint8_array, "ClientStream.receive", "data", "a Uint8Array");
  TypedView meta = typedArrayArg(info, 1, napi_float64_array, "ClientStream.receive", "meta", "a Float64Array");
  if (meta.length < 4) throwType(env, "ClientStream.receive: meta must hold 4 numbers");
  DatagramMeta m;
  const uint8_t* bytes = period_->control().peek(&m);
  if (bytes == nullptr) return Napi::Number::New(env, -1);
  size_t n = m.length < period_->control().slotBytes() ? m.length : period_->control().slotBytes();
  if (n > data.length) n = data.length;
  std::memcpy(data.data, bytes, n);
  period_->control().pop();
  uint32_t addr = 0;
  uint16_t port = 0;
  double* out = static_cast<double*>(meta.data);
  const bool v4 = ipv4Of(m.from, &addr, &port);
  out[0] = v4 ? static_cast<double>(addr) : -1;
  out[1] = port;
  out[2] = static_cast<double>(m.arrivalNs - clockOriginNs());
  out[3] = m.length;
  return Napi::Number::New(env, static_cast<double>(n));
}

// sendTo(bytes, offset, length, addr, port): one datagram now, from this thread; false (counted) when refused.
Napi::Value ClientStream::SendTo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  TypedView bytes = typedArrayArg(info, 0, napi_uint8_array, "ClientStream.sendTo", "bytes", "a Uint8Array");
  const int64_t offset = integerArg(info, 1, "ClientStream.sendTo", "offset");
  const int64_t length = integerArg(info, 2, "ClientStream.sendTo", "length");
  const int64_t addr = integerArg(info, 3, "ClientStream.sendTo", "addr");
  const int64_t port = integerArg(info, 4, "ClientStream.sendTo", "port");
  if (offset < 0 || length < 0 || static_cast<uint64_t>(offset + length) > bytes.length) {
    throwType(env, "ClientStream.sendTo: offset and length must lie within bytes");
  }
  if (addr < 0 || addr > 0xffffffffll || port < 0 || port > 65535) {
    throwType(env, "ClientStream.sendTo: addr must be an IPv4 uint32 and port 0..65535");
  }
  RequireOpen(env, "sendTo");
  const PeerAddress to = PeerAddress::Ipv4(static_cast<uint32_t>(addr), static_cast<uint16_t>(port));
  const ssize_t n = sendto(fd_, static_cast<const uint8_t*>(bytes.data) + offset, static_cast<size_t>(length), MSG_DONTWAIT,
                           to.sa(), to.length);
  if (n < 0) {
    period_->NoteSendError(errno);
    return Napi::Boolean::New(env, false);
  }
  return Napi::Boolean::New(env, true);
}

Napi::Value ClientStream::Counters(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const ClientCounters& c = period_->counters();
  Napi::Object o = Napi::Object::New(env);
  auto num = [&](const char* key, uint64_t v) { o.Set(key, Napi::Number::New(env, static_cast<double>(v))); };
  num("packetsOut", c.packetsOut.load());
  num("packetsIn", c.packetsIn.load());
  num("wrongSize", c.wrongSize.load());
  num("underruns", c.underruns.load());
  num("fallbackPeriods", c.fallbackPeriods.load());
  num("controlDropped", c.controlDropped.load());
  num("sendErrors", c.sendErrors.load());
  o.Set("jitterSize", Napi::Number::New(env, c.jitterSize.load()));
  const int err = c.sendErrno.load();
  o.Set("lastSendError", err != 0 ? Napi::Value(Napi::String::New(env, "sendto: " + errnoName(err) + " (" + std::strerror(err) + ")"))
                                  : env.Null());
  return o;
}

Napi::Value ClientStream::Connected(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), period_->counters().connectedSession.load());
}

// On the monotonicNowNs() scale; 0 before any.
Napi::Value ClientStream::LastAudioNs(const Napi::CallbackInfo& info) {
  const uint64_t t = period_->counters().lastAudioNs.load();
  return Napi::Number::New(info.Env(), t == 0 ? 0 : static_cast<double>(t - clockOriginNs()));
}

Napi::Value ClientStream::Port(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), port_); }

void ClientStream::Close(const Napi::CallbackInfo& info) { Halt(); }

}  // namespace riffbox
