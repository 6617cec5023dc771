// The mapping between an interface's channels and the Jamulus stream, used by the client's real-time path
// and, through the JS exports mapCapture/mapPlayback, by anything that moves periods itself.
#pragma once
#include <napi.h>

#include <cstdint>

namespace riffbox {

// Which interface inputs feed the stream: one of the first two as mono, or both as stereo.
enum class InputSelection : int { kInput1 = 0, kInput2 = 1, kStereo = 2 };

// Picks the selected inputs out of a captured period (deviceChannels interleaved) into out (mono or stereo
// interleaved). A missing second input reads as the first for stereo and as silence for input 2.
void mapCapture(const int16_t* captured, int deviceChannels, int frames, InputSelection selection, int16_t* out);

// Spreads a mono or stereo period onto the device's playback channels: mono to the first two, stereo L/R to
// the first two (averaged on a mono device); further channels are silent.
void mapPlayback(const int16_t* source, int sourceChannels, int frames, int deviceChannels, int16_t* out);

Napi::Value MapCaptureJs(const Napi::CallbackInfo& info);
Napi::Value MapPlaybackJs(const Napi::CallbackInfo& info);

}  // namespace riffbox
