#include "opus_modes.h"

#include <mutex>

namespace riffbox {

namespace {
std::mutex modesMutex;
OpusCustomMode* mode64 = nullptr;
OpusCustomMode* mode128 = nullptr;
}  // namespace

OpusCustomMode* sharedOpusMode(int frameSamples, int* error) {
  std::lock_guard<std::mutex> lock(modesMutex);
  OpusCustomMode** slot = frameSamples == 64 ? &mode64 : frameSamples == 128 ? &mode128 : nullptr;
  if (slot == nullptr) {
    *error = OPUS_BAD_ARG;
    return nullptr;
  }
  if (*slot == nullptr) {
    // Never destroyed: encoders in other workers may still point at it at process exit.
    *slot = opus_custom_mode_create(48000, frameSamples, error);
    if (*slot == nullptr) return nullptr;
  }
  *error = OPUS_OK;
  return *slot;
}

}  // namespace riffbox
