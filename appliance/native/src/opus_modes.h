// One OpusCustomMode per frame size, shared by every encoder and decoder in the process: a
// mode is read-only once created, so all threads and workers can use the same one.
#pragma once
#include <opus_custom.h>

namespace riffbox {

// frameSamples must be 64 or 128. Returns nullptr and sets *error on failure.
OpusCustomMode* sharedOpusMode(int frameSamples, int* error);

}  // namespace riffbox
