// A device's samples to and from the int16 the audio thread's rings carry: S16 as is, S32 by its top 16 bits,
// FLOAT (the jack plugin's only format) scaled by 32768 and clipped. Any other format is taken for FLOAT:
// alsaOptionsArg (alsa_duplex.cc) lets only these three through.
#pragma once
#include <alsa/asoundlib.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace riffbox {

inline void ToInt16(const uint8_t* raw, snd_pcm_format_t format, int16_t* out, size_t samples) {
  if (format == SND_PCM_FORMAT_S16) {
    std::memcpy(out, raw, samples * 2);
  } else if (format == SND_PCM_FORMAT_S32) {
    const int32_t* src = reinterpret_cast<const int32_t*>(raw);
    for (size_t i = 0; i < samples; i++) out[i] = static_cast<int16_t>(src[i] >> 16);
  } else {
    const float* src = reinterpret_cast<const float*>(raw);
    for (size_t i = 0; i < samples; i++) {
      const float v = src[i] * 32768.0f;
      // NaN (which any JACK client can put on a port) plays as silence.
      out[i] = v != v ? 0 : v >= 32767.0f ? 32767 : v <= -32768.0f ? -32768 : static_cast<int16_t>(lrintf(v));
    }
  }
}

inline void FromInt16(const int16_t* in, snd_pcm_format_t format, uint8_t* raw, size_t samples) {
  if (format == SND_PCM_FORMAT_S16) {
    std::memcpy(raw, in, samples * 2);
  } else if (format == SND_PCM_FORMAT_S32) {
    int32_t* dst = reinterpret_cast<int32_t*>(raw);
    for (size_t i = 0; i < samples; i++) dst[i] = static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint16_t>(in[i])) << 16);
  } else {
    float* dst = reinterpret_cast<float*>(raw);
    for (size_t i = 0; i < samples; i++) dst[i] = static_cast<float>(in[i]) * (1.0f / 32768.0f);
  }
}

}  // namespace riffbox
