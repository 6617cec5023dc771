#include "alsa_duplex.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "args.h"
#include "rt_thread.h"
#include "sample_convert.h"

namespace riffbox {

namespace {

std::string optionalString(Napi::Object opts, const char* key, const std::string& fallback) {
  Napi::Value v = opts.Get(key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsString()) throwType(opts.Env(), std::string("AlsaDuplex: options.") + key + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

unsigned optionalUnsigned(Napi::Object opts, const char* key, unsigned fallback, unsigned min, unsigned max) {
  Napi::Value v = opts.Get(key);
  if (v.IsUndefined()) return fallback;
  double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
  if (!v.IsNumber() || d != static_cast<double>(static_cast<int64_t>(d)) || d < min || d > max) {
    throwType(opts.Env(), std::string("AlsaDuplex: options.") + key + " must be an integer in " + std::to_string(min) +
                              ".." + std::to_string(max));
  }
  return static_cast<unsigned>(d);
}

}  // namespace

Napi::Function AlsaDuplex::Define(Napi::Env env) {
  return DefineClass(env, "AlsaDuplex",
                     {
                         InstanceMethod<&AlsaDuplex::ReadCapture>("readCapture"),
                         InstanceMethod<&AlsaDuplex::WritePlayback>("writePlayback"),
                         InstanceMethod<&AlsaDuplex::Stats>("stats"),
                         InstanceMethod<&AlsaDuplex::WaitCapture>("waitCapture"),
                         InstanceAccessor<&AlsaDuplex::CapturedWaiting>("capturedWaiting"),
                         InstanceAccessor<&AlsaDuplex::StateName>("state"),
                         InstanceMethod<&AlsaDuplex::Close>("close"),
                         InstanceAccessor<&AlsaDuplex::PeriodFrames>("periodFrames"),
                         InstanceAccessor<&AlsaDuplex::CaptureChannels>("captureChannels"),
                         InstanceAccessor<&AlsaDuplex::PlaybackChannels>("playbackChannels"),
                         InstanceAccessor<&AlsaDuplex::Device>("device"),
                     });
}

AlsaOptions alsaOptionsArg(Napi::Env env, Napi::Value value, const char* where) {
  if (!value.IsObject()) throwType(env, std::string(where) + ": options must be an object");
  Napi::Object opts = value.As<Napi::Object>();
  AlsaOptions o;
  Napi::Value device = opts.Get("device");
  if (!device.IsString() || device.As<Napi::String>().Utf8Value().empty()) {
    throwType(env, std::string(where) + ": options.device must be a non-empty ALSA PCM name");
  }
  o.device = device.As<Napi::String>().Utf8Value();
  Napi::Value period = opts.Get("periodFrames");
  if (!period.IsNumber() || (period.As<Napi::Number>().DoubleValue() != 64 && period.As<Napi::Number>().DoubleValue() != 128)) {
    throwType(env, std::string(where) + ": options.periodFrames must be 64 or 128");
  }
  o.periodFrames = static_cast<unsigned>(period.As<Napi::Number>().DoubleValue());
  const std::string format = optionalString(opts, "format", kSampleFormats[0].name);
  const SampleFormatName* known = nullptr;
  for (const SampleFormatName& f : kSampleFormats) {
    if (format == f.name) known = &f;
  }
  if (!known) {
    std::string names;
    for (const SampleFormatName& f : kSampleFormats) names += std::string(names.empty() ? "'" : ", '") + f.name + "'";
    throwType(env, std::string(where) + ": options.format must be one of " + names);
  }
  o.format = known->format;
  o.captureChannels = optionalUnsigned(opts, "captureChannels", 2, 1, 32);
  o.playbackChannels = optionalUnsigned(opts, "playbackChannels", 2, 1, 32);
  o.ringPeriods = optionalUnsigned(opts, "ringPeriods", 8, 2, 1024);
  return o;
}

Napi::Object alsaStatsObject(Napi::Env env, const AlsaDevice& device) {
  const AlsaCounters c = device.counters();
  Napi::Object s = Napi::Object::New(env);
  s.Set("xruns", Napi::Number::New(env, static_cast<double>(c.xruns)));
  s.Set("playbackXruns", Napi::Number::New(env, static_cast<double>(c.playbackXruns)));
  s.Set("playbackPeriods", Napi::Number::New(env, static_cast<double>(c.playbackPeriods)));
  s.Set("paced", Napi::Boolean::New(env, c.paced));
  s.Set("captureOverruns", Napi::Number::New(env, static_cast<double>(c.captureOverruns)));
  s.Set("playbackUnderruns", Napi::Number::New(env, static_cast<double>(c.playbackUnderruns)));
  s.Set("capturedPeriods", Napi::Number::New(env, static_cast<double>(c.capturedPeriods)));
  s.Set("reopens", Napi::Number::New(env, static_cast<double>(c.reopens)));
  s.Set("realtime", Napi::Boolean::New(env, c.realtime));
  s.Set("state", Napi::String::New(env, device.StateText()));
  const std::string error = device.ErrorText();
  if (!error.empty()) s.Set("error", Napi::String::New(env, error));
  return s;
}

AlsaDuplex::AlsaDuplex(const Napi::CallbackInfo& info) : Napi::ObjectWrap<AlsaDuplex>(info) {
  Napi::Env env = info.Env();
  env_ = env;
  const AlsaOptions options = alsaOptionsArg(env, info[0], "AlsaDuplex");
  if (!info[1].IsUndefined() && !info[1].IsFunction()) throwType(env, "AlsaDuplex: onCapture must be a function");
  readyFd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (readyFd_ < 0) throw Napi::Error::New(env, std::string("AlsaDuplex: eventfd: ") + std::strerror(errno));
  if (info[1].IsFunction()) {
    callback_ = Napi::Persistent(info[1].As<Napi::Function>());
    if (!notifier_.Open(env, callback_.Value(), "riffbox.AlsaDuplex")) {
      close(readyFd_);
      throw Napi::Error::New(env, "AlsaDuplex: napi_create_threadsafe_function failed");
    }
  }
  // After the notifier, so this hook runs first at env teardown and joins the thread.
  if (napi_add_env_cleanup_hook(env, &AlsaDuplex::EnvCleanup, this) != napi_ok) {
    notifier_.Close();
    close(readyFd_);
    throw Napi::Error::New(env, "AlsaDuplex: napi_add_env_cleanup_hook failed");
  }
  cleanupHookAdded_ = true;
  try {
    device_ = std::make_unique<AlsaDevice>(options, this);
  } catch (const std::runtime_error& e) {
    Halt();
    close(readyFd_);
    throw Napi::Error::New(env, std::string("AlsaDuplex: ") + e.what());
  }
  Ref();
}

AlsaDuplex::~AlsaDuplex() {
  Halt();
  if (readyFd_ >= 0) close(readyFd_);
}

void AlsaDuplex::OnCaptured(AlsaDevice&, unsigned periods) {
  uint64_t one = 1;
  ssize_t ignored = write(readyFd_, &one, sizeof one);
  (void)ignored;
  notifier_.Add(periods);
}

void AlsaDuplex::Halt() {
  if (device_) device_->Halt();
  notifier_.Close();
  if (cleanupHookAdded_) {
    napi_remove_env_cleanup_hook(env_, &AlsaDuplex::EnvCleanup, this);
    cleanupHookAdded_ = false;
  }
}

void AlsaDuplex::EnvCleanup(void* arg) {
  auto* self = static_cast<AlsaDuplex*>(arg);
  // The env is walking its hook list: do not remove ourselves from it.
  self->cleanupHookAdded_ = false;
  self->Halt();
}

void AlsaDuplex::Close(const Napi::CallbackInfo& info) {
  if (closed_) return;
  closed_ = true;
  Halt();
  Unref();
}

Napi::Value AlsaDuplex::ReadCapture(const Napi::CallbackInfo& info) {
  TypedView out = typedArrayArg(info, 0, napi_int16_array, "readCapture", "out", "an Int16Array");
  if (out.length < device_->capture().periodSamples()) {
    throwType(info.Env(), "readCapture: out must hold periodFrames*captureChannels = " +
                              std::to_string(device_->capture().periodSamples()) + " samples");
  }
  return Napi::Boolean::New(info.Env(), device_->capture().pop(static_cast<int16_t*>(out.data)));
}

Napi::Value AlsaDuplex::WritePlayback(const Napi::CallbackInfo& info) {
  TypedView pcm = typedArrayArg(info, 0, napi_int16_array, "writePlayback", "pcm", "an Int16Array");
  if (pcm.length < device_->playback().periodSamples()) {
    throwType(info.Env(), "writePlayback: pcm must hold periodFrames*playbackChannels = " +
                              std::to_string(device_->playback().periodSamples()) + " samples");
  }
  return Napi::Boolean::New(info.Env(), device_->playback().push(static_cast<const int16_t*>(pcm.data)));
}

Napi::Value AlsaDuplex::WaitCapture(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int64_t other = integerArg(info, 0, "AlsaDuplex.waitCapture", "otherFd");
  if (other < -1 || other > INT32_MAX) throwType(env, "AlsaDuplex.waitCapture: otherFd must be a file descriptor or -1");
  if (!info[1].IsNumber()) throwType(env, "AlsaDuplex.waitCapture: timeoutMs must be a number");
  const double timeoutMs = info[1].As<Napi::Number>().DoubleValue();
  if (!std::isfinite(timeoutMs) || timeoutMs < 0 || timeoutMs > 3600000) {
    throwType(env, "AlsaDuplex.waitCapture: timeoutMs must be in 0..3600000");
  }
  size_t waiting = device_->capture().filled();
  if (waiting > 0) return Napi::Number::New(env, static_cast<double>(waiting));
  const uint64_t deadline = monotonicNs() + static_cast<uint64_t>(timeoutMs * 1e6);
  pollfd fds[2] = {{readyFd_, POLLIN, 0}, {static_cast<int>(other), POLLIN, 0}};
  const nfds_t nfds = other >= 0 ? 2 : 1;
  for (;;) {
    const uint64_t now = monotonicNs();
    const timespec left = toTimespec(deadline > now ? deadline - now : 0);
    int rc = ppoll(fds, nfds, &left, nullptr);
    if (rc < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      throw Napi::Error::New(env, std::string("AlsaDuplex.waitCapture: ppoll: ") + std::strerror(err));
    }
    if (nfds == 2 && (fds[1].revents & POLLNVAL)) {
      throwType(env, "AlsaDuplex.waitCapture: otherFd is not an open file descriptor");
    }
    if (rc > 0 && fds[0].revents != 0) {
      uint64_t value;
      ssize_t ignored = read(readyFd_, &value, sizeof value);
      (void)ignored;
    }
    waiting = device_->capture().filled();
    if (waiting > 0) return Napi::Number::New(env, static_cast<double>(waiting));
    if (rc == 0 || (nfds == 2 && fds[1].revents != 0)) return Napi::Number::New(env, 0);
    // Only a signal for periods an earlier call already took: keep waiting.
  }
}

Napi::Value AlsaDuplex::CapturedWaiting(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(device_->capture().filled()));
}

Napi::Value AlsaDuplex::StateName(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), device_->StateText()); }

Napi::Value AlsaDuplex::Stats(const Napi::CallbackInfo& info) { return alsaStatsObject(info.Env(), *device_); }

Napi::Value AlsaDuplex::PeriodFrames(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), device_->options().periodFrames);
}
Napi::Value AlsaDuplex::CaptureChannels(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), device_->options().captureChannels);
}
Napi::Value AlsaDuplex::PlaybackChannels(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), device_->options().playbackChannels);
}
Napi::Value AlsaDuplex::Device(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), device_->options().device); }

}  // namespace riffbox
