// A device's samples to and from the int16 the audio thread's rings carry: S16 as is; S32, S24 (24 bits in the
// low three bytes of four) and S24_3LE (three bytes, as USB interfaces with 3-byte subframes offer only) by their
// top 16 bits; FLOAT (the jack plugin's only format) scaled by 32768 and clipped. Any other format is taken for
// FLOAT: alsaOptionsArg (alsa_duplex.cc) lets only kSampleFormats through.
#pragma once
#include <alsa/asoundlib.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace riffbox {

/** The formats a device can be opened in, by the names JS passes (ALSA_SAMPLE_FORMATS in native.ts). */
struct SampleFormatName {
  const char* name;
  snd_pcm_format_t format;
};
inline constexpr SampleFormatName kSampleFormats[] = {
    {"s16", SND_PCM_FORMAT_S16},         {"s32", SND_PCM_FORMAT_S32},      {"float", SND_PCM_FORMAT_FLOAT},
    {"s24_3le", SND_PCM_FORMAT_S24_3LE}, {"s24", SND_PCM_FORMAT_S24_LE},
};

inline void ToInt16(const uint8_t* raw, snd_pcm_format_t format, int16_t* out, size_t samples) {
  if (format == SND_PCM_FORMAT_S16) {
    std::memcpy(out, raw, samples * 2);
  } else if (format == SND_PCM_FORMAT_S32) {
    const int32_t* src = reinterpret_cast<const int32_t*>(raw);
    for (size_t i = 0; i < samples; i++) out[i] = static_cast<int16_t>(src[i] >> 16);
  } else if (format == SND_PCM_FORMAT_S24_3LE || format == SND_PCM_FORMAT_S24_LE) {
    // Bits 8..23, little-endian; S24's fourth byte (a sign copy, or garbage on some codecs) is ignored.
    const size_t stride = format == SND_PCM_FORMAT_S24_3LE ? 3 : 4;
    for (size_t i = 0; i < samples; i++) out[i] = static_cast<int16_t>(raw[stride * i + 1] | (raw[stride * i + 2] << 8));
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
  } else if (format == SND_PCM_FORMAT_S24_3LE || format == SND_PCM_FORMAT_S24_LE) {
    const size_t stride = format == SND_PCM_FORMAT_S24_3LE ? 3 : 4;
    for (size_t i = 0; i < samples; i++) {
      const uint16_t v = static_cast<uint16_t>(in[i]);
      uint8_t* p = raw + stride * i;
      p[0] = 0;
      p[1] = static_cast<uint8_t>(v);
      p[2] = static_cast<uint8_t>(v >> 8);
      if (stride == 4) p[3] = (v & 0x8000) ? 0xff : 0;
    }
  } else {
    float* dst = reinterpret_cast<float*>(raw);
    for (size_t i = 0; i < samples; i++) dst[i] = static_cast<float>(in[i]) * (1.0f / 32768.0f);
  }
}

}  // namespace riffbox
