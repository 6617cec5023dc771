#include "opus_codec.h"

#include "opus_modes.h"
#ifdef RIFFBOX_BUNDLED_OPUS
#include "opus-config/config.h"
#endif

namespace riffbox {

namespace {
std::string opusError(const char* what, int code) { return std::string(what) + ": " + opus_strerror(code); }
}  // namespace

std::unique_ptr<CustomEncoder> CustomEncoder::Create(int frameSamples, int channels, int codedBytes, std::string* error) {
  std::unique_ptr<CustomEncoder> e(new CustomEncoder());
  e->frameSamples_ = frameSamples;
  e->channels_ = channels;
  int rc = OPUS_OK;
  OpusCustomMode* mode = sharedOpusMode(frameSamples, &rc);
  if (mode == nullptr) {
    *error = opusError("opus_custom_mode_create", rc);
    return nullptr;
  }
  e->encoder_.reset(opus_custom_encoder_create(mode, channels, &rc));
  if (e->encoder_ == nullptr || rc != OPUS_OK) {
    *error = opusError("opus_custom_encoder_create", rc);
    return nullptr;
  }
  OpusCustomEncoder* enc = e->encoder_.get();
  // The reference client and server: CBR so every frame is exactly the negotiated size; for 64-sample frames
  // an expected loss of 35 % (the reference found PLC artifacts loud otherwise); for 128-sample frames
  // complexity 1 (64-sample frames keep the default).
  if ((rc = opus_custom_encoder_ctl(enc, OPUS_SET_VBR(0))) != OPUS_OK) {
    *error = opusError("OPUS_SET_VBR", rc);
    return nullptr;
  }
  rc = frameSamples == 64 ? opus_custom_encoder_ctl(enc, OPUS_SET_PACKET_LOSS_PERC(35))
                          : opus_custom_encoder_ctl(enc, OPUS_SET_COMPLEXITY(1));
  if (rc != OPUS_OK) {
    *error = opusError(frameSamples == 64 ? "OPUS_SET_PACKET_LOSS_PERC" : "OPUS_SET_COMPLEXITY", rc);
    return nullptr;
  }
  // The reference also asks for "restricted low delay"; a CELT-only custom encoder is that by construction
  // and opus 1.3/1.5 answer OPUS_UNIMPLEMENTED, which is therefore accepted.
  rc = opus_custom_encoder_ctl(enc, OPUS_SET_APPLICATION(OPUS_APPLICATION_RESTRICTED_LOWDELAY));
  if (rc != OPUS_OK && rc != OPUS_UNIMPLEMENTED) {
    *error = opusError("OPUS_SET_APPLICATION", rc);
    return nullptr;
  }
  if (!e->setCodedBytes(codedBytes, error)) return nullptr;
  return e;
}

bool CustomEncoder::setCodedBytes(int codedBytes, std::string* error) {
  // bitrate = 48000 * bytes * 8 / frameSamples: the CBR encoder caps each frame at the byte count this
  // bitrate yields, so it must match codedBytes exactly (it divides evenly for 64 and 128).
  const int bitrate = kOpusSampleRate * codedBytes * 8 / frameSamples_;
  const int rc = opus_custom_encoder_ctl(encoder_.get(), OPUS_SET_BITRATE(bitrate));
  if (rc != OPUS_OK) {
    *error = opusError("OPUS_SET_BITRATE", rc);
    return false;
  }
  codedBytes_ = codedBytes;
  return true;
}

int CustomEncoder::encode(const int16_t* pcm, uint8_t* out) {
  return opus_custom_encode(encoder_.get(), pcm, frameSamples_, out, codedBytes_);
}

int CustomEncoder::reset() { return opus_custom_encoder_ctl(encoder_.get(), OPUS_RESET_STATE); }

std::unique_ptr<CustomDecoder> CustomDecoder::Create(int frameSamples, int channels, std::string* error) {
  std::unique_ptr<CustomDecoder> d(new CustomDecoder());
  d->frameSamples_ = frameSamples;
  d->channels_ = channels;
  int rc = OPUS_OK;
  OpusCustomMode* mode = sharedOpusMode(frameSamples, &rc);
  if (mode == nullptr) {
    *error = opusError("opus_custom_mode_create", rc);
    return nullptr;
  }
  d->decoder_.reset(opus_custom_decoder_create(mode, channels, &rc));
  if (d->decoder_ == nullptr || rc != OPUS_OK) {
    *error = opusError("opus_custom_decoder_create", rc);
    return nullptr;
  }
  return d;
}

int CustomDecoder::decode(const uint8_t* data, int length, int16_t* out) {
  // An empty packet means "lost": take the PLC path explicitly.
  if (length == 0) data = nullptr;
  return opus_custom_decode(decoder_.get(), data, length, out, frameSamples_);
}

int CustomDecoder::reset() { return opus_custom_decoder_ctl(decoder_.get(), OPUS_RESET_STATE); }

const char* opusSimdDescription() {
#if !defined(RIFFBOX_BUNDLED_OPUS)
  return "system libopus (its own build)";
#elif defined(OPUS_ARM_PRESUME_AARCH64_NEON_INTR)
  return "bundled opus with NEON intrinsics (aarch64)";
#elif defined(OPUS_X86_MAY_HAVE_SSE4_1)
  return "bundled opus with SSE, SSE2, SSE4.1 (chosen at run time)";
#else
  return "bundled opus, generic C";
#endif
}

}  // namespace riffbox
