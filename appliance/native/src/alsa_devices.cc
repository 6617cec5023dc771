#include "alsa_devices.h"

#include <alsa/asoundlib.h>

#include <string>

#include "args.h"

namespace riffbox {

namespace {

// Plug-type PCMs convert to any count; beyond this the number means nothing to a musician.
constexpr unsigned kMaxReportedChannels = 32;

// Channels the PCM offers in one direction: a count, 0 when the direction does not exist,
// or -1 when it cannot be told (typically: busy, opened by someone else or by us).
int probeChannels(const std::string& pcmName, snd_pcm_stream_t stream) {
  snd_pcm_t* pcm = nullptr;
  int err = snd_pcm_open(&pcm, pcmName.c_str(), stream, SND_PCM_NONBLOCK);
  if (err == -ENOENT || err == -ENODEV || err == -ENXIO) return 0;
  if (err < 0) return -1;
  snd_pcm_hw_params_t* hw;
  snd_pcm_hw_params_alloca(&hw);
  int result = -1;
  unsigned max = 0;
  if (snd_pcm_hw_params_any(pcm, hw) >= 0 && snd_pcm_hw_params_get_channels_max(hw, &max) >= 0) {
    result = static_cast<int>(max > kMaxReportedChannels ? kMaxReportedChannels : max);
  }
  snd_pcm_close(pcm);
  return result;
}

Napi::Value channelsValue(Napi::Env env, int channels) {
  return channels < 0 ? env.Null() : Napi::Number::New(env, channels);
}

Napi::Object entry(Napi::Env env, int card, const std::string& id, const std::string& driver, const std::string& name,
                   const std::string& pcm, int captureChannels, int playbackChannels) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("card", Napi::Number::New(env, card));
  o.Set("id", Napi::String::New(env, id));
  o.Set("driver", Napi::String::New(env, driver));
  o.Set("name", Napi::String::New(env, name));
  o.Set("pcm", Napi::String::New(env, pcm));
  o.Set("captureChannels", channelsValue(env, captureChannels));
  o.Set("playbackChannels", channelsValue(env, playbackChannels));
  return o;
}

bool hasStream(snd_ctl_t* ctl, int device, snd_pcm_stream_t stream) {
  snd_pcm_info_t* info;
  snd_pcm_info_alloca(&info);
  snd_pcm_info_set_device(info, static_cast<unsigned>(device));
  snd_pcm_info_set_subdevice(info, 0);
  snd_pcm_info_set_stream(info, stream);
  return snd_ctl_pcm_info(ctl, info) >= 0;
}

std::string pcmInfoName(snd_ctl_t* ctl, int device) {
  snd_pcm_info_t* info;
  snd_pcm_info_alloca(&info);
  snd_pcm_info_set_device(info, static_cast<unsigned>(device));
  for (snd_pcm_stream_t stream : {SND_PCM_STREAM_CAPTURE, SND_PCM_STREAM_PLAYBACK}) {
    snd_pcm_info_set_stream(info, stream);
    if (snd_ctl_pcm_info(ctl, info) >= 0) return snd_pcm_info_get_name(info);
  }
  return "";
}

}  // namespace

Napi::Value ListAlsaDevices(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array extra;
  if (!info[0].IsUndefined()) {
    if (!info[0].IsArray()) throwType(env, "listAlsaDevices: extraPcms must be an array of strings");
    extra = info[0].As<Napi::Array>();
    for (uint32_t i = 0; i < extra.Length(); i++) {
      if (!extra.Get(i).IsString()) throwType(env, "listAlsaDevices: extraPcms must be an array of strings");
    }
  }
  Napi::Array result = Napi::Array::New(env);
  uint32_t n = 0;
  int card = -1;
  while (snd_card_next(&card) >= 0 && card >= 0) {
    snd_ctl_t* ctl = nullptr;
    if (snd_ctl_open(&ctl, ("hw:" + std::to_string(card)).c_str(), 0) < 0) continue;
    snd_ctl_card_info_t* cardInfo;
    snd_ctl_card_info_alloca(&cardInfo);
    if (snd_ctl_card_info(ctl, cardInfo) < 0) {
      snd_ctl_close(ctl);
      continue;
    }
    std::string id = snd_ctl_card_info_get_id(cardInfo);
    std::string cardName = snd_ctl_card_info_get_name(cardInfo);
    // "USB-Audio" for snd-usb-audio: how the client's automatic choice tells the interface apart.
    std::string driver = snd_ctl_card_info_get_driver(cardInfo);
    int device = -1;
    while (snd_ctl_pcm_next_device(ctl, &device) >= 0 && device >= 0) {
      // By card id rather than index: the index of a USB interface changes with plug order.
      std::string pcm = "hw:CARD=" + id + ",DEV=" + std::to_string(device);
      int cap = hasStream(ctl, device, SND_PCM_STREAM_CAPTURE) ? probeChannels(pcm, SND_PCM_STREAM_CAPTURE) : 0;
      int play = hasStream(ctl, device, SND_PCM_STREAM_PLAYBACK) ? probeChannels(pcm, SND_PCM_STREAM_PLAYBACK) : 0;
      std::string devName = pcmInfoName(ctl, device);
      std::string name = devName.empty() || devName == cardName ? cardName : cardName + ": " + devName;
      result.Set(n++, entry(env, card, id, driver, name, pcm, cap, play));
    }
    snd_ctl_close(ctl);
  }
  if (!extra.IsEmpty()) {
    for (uint32_t i = 0; i < extra.Length(); i++) {
      std::string pcm = extra.Get(i).As<Napi::String>().Utf8Value();
      result.Set(n++, entry(env, -1, pcm, "", pcm, pcm, probeChannels(pcm, SND_PCM_STREAM_CAPTURE),
                            probeChannels(pcm, SND_PCM_STREAM_PLAYBACK)));
    }
  }
  return result;
}

}  // namespace riffbox
