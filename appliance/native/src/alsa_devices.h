// listAlsaDevices(extraPcms?: string[]): the sound cards' PCM devices (and any extra PCM names
// asked for) with their capture and playback channel counts, for the admin's device picker.
#pragma once
#include <napi.h>

namespace riffbox {

Napi::Value ListAlsaDevices(const Napi::CallbackInfo& info);

}  // namespace riffbox
