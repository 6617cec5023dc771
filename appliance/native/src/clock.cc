#include "clock.h"

#include "rt_thread.h"

namespace riffbox {

uint64_t clockOriginNs() {
  // A function-local static is initialised exactly once even when several workers load the
  // addon at the same moment.
  static const uint64_t origin = monotonicNs();
  return origin;
}

Napi::Value MonotonicNowNs(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(monotonicNs() - clockOriginNs()));
}

Napi::Value MonotonicOriginNs(const Napi::CallbackInfo& info) {
  return Napi::BigInt::New(info.Env(), clockOriginNs());
}

}  // namespace riffbox
