/* Build configuration for the bundled opus 1.3.1 tree (CELT layer only).
 * CUSTOM_MODES: Jamulus frames are 64 and 128 samples, which only custom modes allow.
 * Neither ENABLE_ASSERTIONS nor ENABLE_HARDENING: Debian 12's hardened 1.3.1 aborts on the
 * 128-sample mode through an assert (st->end <= 21) that upstream dropped in 1.3.2.
 * Floating point (no FIXED_POINT) like Jamulus's own build. */
#ifndef RIFFBOX_OPUS_CONFIG_H
#define RIFFBOX_OPUS_CONFIG_H
#define OPUS_BUILD 1
#define CUSTOM_MODES 1
#define HAVE_LRINT 1
#define HAVE_LRINTF 1
#define VAR_ARRAYS 1
#define PACKAGE_VERSION "1.3.1"
#endif
