// Argument checks shared by the wrapped classes: wrong types or sizes become TypeError with a
// message naming the method and the argument, never a crash or a silent clamp.
#pragma once
#include <napi.h>

#include <cmath>
#include <cstdint>
#include <string>

namespace riffbox {

[[noreturn]] inline void throwType(Napi::Env env, const std::string& message) {
  throw Napi::TypeError::New(env, message);
}

inline int64_t integerArg(const Napi::CallbackInfo& info, size_t index, const char* where, const char* name) {
  Napi::Value v = info[index];
  if (!v.IsNumber()) throwType(info.Env(), std::string(where) + ": " + name + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::floor(d) != d || std::fabs(d) > 9007199254740991.0) {
    throwType(info.Env(), std::string(where) + ": " + name + " must be an integer");
  }
  return static_cast<int64_t>(d);
}

struct TypedView {
  void* data;
  size_t length;  // in elements
};

// One napi call gives type, length and the element pointer (already offset), and creates no
// JS object, so the per-frame paths can use it.
inline TypedView typedArrayArg(const Napi::CallbackInfo& info, size_t index, napi_typedarray_type type,
                               const char* where, const char* name, const char* typeName) {
  Napi::Value v = info[index];
  napi_typedarray_type actual;
  TypedView view{nullptr, 0};
  if (!v.IsTypedArray() ||
      napi_get_typedarray_info(info.Env(), v, &actual, &view.length, &view.data, nullptr, nullptr) != napi_ok ||
      actual != type) {
    throwType(info.Env(), std::string(where) + ": " + name + " must be " + typeName);
  }
  return view;
}

}  // namespace riffbox
