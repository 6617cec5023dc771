#include "channel_map.h"

#include <cstring>
#include <string>

#include "args.h"

namespace riffbox {

void mapCapture(const int16_t* captured, int deviceChannels, int frames, InputSelection selection, int16_t* out) {
  const int second = deviceChannels >= 2 ? 1 : 0;
  if (selection == InputSelection::kStereo) {
    for (int i = 0, s = 0; i < frames; i++, s += deviceChannels) {
      out[2 * i] = captured[s];
      out[2 * i + 1] = captured[s + second];
    }
  } else if (selection == InputSelection::kInput1 || deviceChannels >= 2) {
    const int offset = selection == InputSelection::kInput1 ? 0 : 1;
    for (int i = 0, s = offset; i < frames; i++, s += deviceChannels) out[i] = captured[s];
  } else {
    std::memset(out, 0, static_cast<size_t>(frames) * sizeof(int16_t));
  }
}

void mapPlayback(const int16_t* source, int sourceChannels, int frames, int deviceChannels, int16_t* out) {
  for (int i = 0, d = 0; i < frames; i++, d += deviceChannels) {
    const int left = source[i * sourceChannels];
    const int right = sourceChannels == 2 ? source[i * 2 + 1] : left;
    if (deviceChannels == 1) {
      out[d] = static_cast<int16_t>((left + right) >> 1);
      continue;
    }
    out[d] = static_cast<int16_t>(left);
    out[d + 1] = static_cast<int16_t>(right);
    for (int c = 2; c < deviceChannels; c++) out[d + c] = 0;
  }
}

namespace {
InputSelection selectionArg(const Napi::CallbackInfo& info, size_t index, const char* where) {
  const std::string s = info[index].IsString() ? info[index].As<Napi::String>().Utf8Value() : "";
  if (s == "input1") return InputSelection::kInput1;
  if (s == "input2") return InputSelection::kInput2;
  if (s == "stereo") return InputSelection::kStereo;
  throwType(info.Env(), std::string(where) + ": selection must be 'input1', 'input2' or 'stereo'");
}

void need(const Napi::CallbackInfo& info, const TypedView& v, int64_t samples, const char* where, const char* name) {
  if (static_cast<int64_t>(v.length) < samples) {
    throwType(info.Env(), std::string(where) + ": " + name + " must hold " + std::to_string(samples) + " samples");
  }
}

int64_t channelsArg(const Napi::CallbackInfo& info, size_t index, const char* where, const char* name, int64_t max) {
  const int64_t n = integerArg(info, index, where, name);
  if (n < 1 || n > max) throwType(info.Env(), std::string(where) + ": " + name + " must be in 1.." + std::to_string(max));
  return n;
}
}  // namespace

// mapCapture(captured, deviceChannels, frames, selection, out)
Napi::Value MapCaptureJs(const Napi::CallbackInfo& info) {
  const char* where = "mapCapture";
  TypedView captured = typedArrayArg(info, 0, napi_int16_array, where, "captured", "an Int16Array");
  const int64_t channels = channelsArg(info, 1, where, "deviceChannels", 32);
  const int64_t frames = channelsArg(info, 2, where, "frames", 4096);
  const InputSelection selection = selectionArg(info, 3, where);
  TypedView out = typedArrayArg(info, 4, napi_int16_array, where, "out", "an Int16Array");
  need(info, captured, channels * frames, where, "captured");
  need(info, out, frames * (selection == InputSelection::kStereo ? 2 : 1), where, "out");
  mapCapture(static_cast<const int16_t*>(captured.data), static_cast<int>(channels), static_cast<int>(frames), selection,
             static_cast<int16_t*>(out.data));
  return info.Env().Undefined();
}

// mapPlayback(source, sourceChannels, frames, deviceChannels, out)
Napi::Value MapPlaybackJs(const Napi::CallbackInfo& info) {
  const char* where = "mapPlayback";
  TypedView source = typedArrayArg(info, 0, napi_int16_array, where, "source", "an Int16Array");
  const int64_t sourceChannels = channelsArg(info, 1, where, "sourceChannels", 2);
  const int64_t frames = channelsArg(info, 2, where, "frames", 4096);
  const int64_t deviceChannels = channelsArg(info, 3, where, "deviceChannels", 32);
  TypedView out = typedArrayArg(info, 4, napi_int16_array, where, "out", "an Int16Array");
  need(info, source, sourceChannels * frames, where, "source");
  need(info, out, deviceChannels * frames, where, "out");
  mapPlayback(static_cast<const int16_t*>(source.data), static_cast<int>(sourceChannels), static_cast<int>(frames),
              static_cast<int>(deviceChannels), static_cast<int16_t*>(out.data));
  return info.Env().Undefined();
}

}  // namespace riffbox
