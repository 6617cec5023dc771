# riffbox_native: Opus custom codec, jitter buffer, ALSA PCM duplex, the client's real-time path, UDP socket + clock.
# riffbox_opus is "bundled" (compile opus 1.3.1's CELT layer from vendor/opus, fetched by
# scripts/build-native.mjs) or "system" (pkg-config opus >= 1.3.2 and not 1.5.0-1.5.2, checked by
# that script; the image uses "bundled" too).
# The bundled CELT layer gets the SIMD paths Jamulus's own build enables: on x86-64 the SSE, SSE2 and
# SSE4.1 kernels chosen at run time (the defines are in src/opus-config/config.h), on arm64 the NEON
# intrinsics, presumed present as on every aarch64 CPU.
{
  "variables": {
    "riffbox_opus%": "<!(node -p \"process.env.RIFFBOX_OPUS || 'bundled'\")"
  },
  "targets": [
    {
      "target_name": "riffbox_native",
      "sources": [
        "src/addon.cc",
        "src/opus_modes.cc",
        "src/opus_codec.cc",
        "src/opus_encoder.cc",
        "src/opus_decoder.cc",
        "src/jitter_buffer.cc",
        "src/jitter_auto_size.cc",
        "src/stream_receiver.cc",
        "src/jitter_wraps.cc",
        "src/coalescing_notifier.cc",
        "src/alsa_device.cc",
        "src/alsa_duplex.cc",
        "src/alsa_devices.cc",
        "src/channel_map.cc",
        "src/clock.cc",
        "src/udp_open.cc",
        "src/udp_socket.cc",
        "src/udp_socket_io.cc",
        "src/peer_table.cc",
        "src/peer_ids.cc",
        "src/client_period.cc",
        "src/client_stream.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "libraries": ["-lasound", "-lpthread"],
      # Keep the bundled opus symbols private, so another module's libopus in the same process
      # cannot bind to our copy or we to theirs.
      "ldflags": ["-Wl,--exclude-libs,ALL"],
      "conditions": [
        ["riffbox_opus=='bundled'", {
          "dependencies": ["opus_celt"],
          "include_dirs": ["vendor/opus/include"],
          "defines": ["RIFFBOX_BUNDLED_OPUS"]
        }, {
          "cflags": ["<!@(pkg-config --cflags opus)"],
          "libraries": ["<!@(pkg-config --libs opus)"]
        }]
      ]
    }
  ],
  "conditions": [
    ["riffbox_opus=='bundled'", {
      "targets": [
        {
          # Only the CELT layer: custom modes never touch SILK or the Opus TOC framing.
          "target_name": "opus_celt",
          "type": "static_library",
          "sources": [
            "vendor/opus/celt/bands.c",
            "vendor/opus/celt/celt.c",
            "vendor/opus/celt/celt_encoder.c",
            "vendor/opus/celt/celt_decoder.c",
            "vendor/opus/celt/cwrs.c",
            "vendor/opus/celt/entcode.c",
            "vendor/opus/celt/entdec.c",
            "vendor/opus/celt/entenc.c",
            "vendor/opus/celt/kiss_fft.c",
            "vendor/opus/celt/laplace.c",
            "vendor/opus/celt/mathops.c",
            "vendor/opus/celt/mdct.c",
            "vendor/opus/celt/modes.c",
            "vendor/opus/celt/pitch.c",
            "vendor/opus/celt/celt_lpc.c",
            "vendor/opus/celt/quant_bands.c",
            "vendor/opus/celt/rate.c",
            "vendor/opus/celt/vq.c"
          ],
          "include_dirs": ["src/opus-config", "vendor/opus/include", "vendor/opus/celt", "vendor/opus/silk", "vendor/opus"],
          "defines": ["HAVE_CONFIG_H"],
          "cflags": ["-O2", "-fPIC", "-w"],
          "conditions": [
            ["target_arch=='x64' or target_arch=='ia32'", {
              "sources": [
                "vendor/opus/celt/x86/x86cpu.c",
                "vendor/opus/celt/x86/x86_celt_map.c",
                "vendor/opus/celt/x86/pitch_sse.c",
                "vendor/opus/celt/x86/pitch_sse2.c",
                "vendor/opus/celt/x86/vq_sse2.c"
              ],
              "dependencies": ["opus_celt_sse4_1"]
            }],
            ["target_arch=='arm64' or target_arch=='arm'", {
              "sources": [
                "vendor/opus/celt/arm/armcpu.c",
                "vendor/opus/celt/arm/arm_celt_map.c",
                "vendor/opus/celt/arm/celt_neon_intr.c",
                "vendor/opus/celt/arm/pitch_neon_intr.c"
              ]
            }]
          ],
          "direct_dependent_settings": {
            "include_dirs": ["vendor/opus/include"]
          }
        }
      ]
    }],
    ["riffbox_opus=='bundled' and (target_arch=='x64' or target_arch=='ia32')", {
      "targets": [
        {
          # The SSE4.1 kernels alone are compiled for SSE4.1; run-time detection calls them only on a CPU
          # that has it, so the rest of the library stays baseline x86-64.
          "target_name": "opus_celt_sse4_1",
          "type": "static_library",
          "sources": [
            "vendor/opus/celt/x86/celt_lpc_sse4_1.c",
            "vendor/opus/celt/x86/pitch_sse4_1.c"
          ],
          "include_dirs": ["src/opus-config", "vendor/opus/include", "vendor/opus/celt", "vendor/opus/silk", "vendor/opus"],
          "defines": ["HAVE_CONFIG_H"],
          "cflags": ["-O2", "-fPIC", "-w", "-msse4.1"]
        }
      ]
    }]
  ]
}
