/* Build configuration for the bundled opus 1.3.1 tree (CELT layer only).
 * CUSTOM_MODES: Jamulus frames are 64 and 128 samples, which only custom modes allow.
 * Neither ENABLE_ASSERTIONS nor ENABLE_HARDENING: Debian 12's hardened 1.3.1 aborts on the
 * 128-sample mode through an assert (st->end <= 21) that upstream dropped in 1.3.2.
 * Floating point (no FIXED_POINT) like Jamulus's own build.
 * SIMD as Jamulus builds the same opus: on x86 the SSE, SSE2 and SSE4.1 kernels behind run-time CPU
 * detection (SSE and SSE2 presumed on x86-64, where every CPU has them); on ARM the NEON intrinsics,
 * presumed on aarch64 (every aarch64 CPU has NEON; the image is arm64). binding.gyp adds the matching
 * celt/x86 or celt/arm sources. opus_codec.cc reads these defines to report the build. */
#ifndef RIFFBOX_OPUS_CONFIG_H
#define RIFFBOX_OPUS_CONFIG_H
#define OPUS_BUILD 1
#define CUSTOM_MODES 1
#define HAVE_LRINT 1
#define HAVE_LRINTF 1
#define VAR_ARRAYS 1
#define PACKAGE_VERSION "1.3.1"

#if defined(__x86_64__) || defined(__i386__)
#define OPUS_HAVE_RTCD 1
#define CPU_INFO_BY_C 1
#define OPUS_X86_MAY_HAVE_SSE 1
#define OPUS_X86_MAY_HAVE_SSE2 1
#define OPUS_X86_MAY_HAVE_SSE4_1 1
#if defined(__x86_64__)
#define OPUS_X86_PRESUME_SSE 1
#define OPUS_X86_PRESUME_SSE2 1
#endif
#elif defined(__aarch64__)
#define OPUS_HAVE_RTCD 1
/* 1.3.1's cpu_support.h declares the run-time detection that celt/arm/armcpu.c defines only when the
 * intrinsics "may" be there; without this the two definitions of opus_select_arch clash. */
#define OPUS_ARM_MAY_HAVE_NEON_INTR 1
#define OPUS_ARM_PRESUME_NEON 1
#define OPUS_ARM_PRESUME_NEON_INTR 1
#define OPUS_ARM_PRESUME_AARCH64_NEON_INTR 1
#endif

#endif
