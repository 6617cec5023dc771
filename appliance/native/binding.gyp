# riffbox_native: Opus custom codec, tick timer thread, ALSA PCM duplex, UDP socket + clock.
# riffbox_opus is "bundled" (compile opus 1.3.1's CELT layer from vendor/opus, fetched by
# scripts/build-native.mjs) or "system" (pkg-config opus >= 1.3.2 and not 1.5.0-1.5.2, checked by
# that script; the image uses "bundled" too).
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
        "src/opus_encoder.cc",
        "src/opus_decoder.cc",
        "src/coalescing_notifier.cc",
        "src/tick_timer.cc",
        "src/alsa_duplex.cc",
        "src/alsa_devices.cc",
        "src/clock.cc",
        "src/udp_socket.cc",
        "src/peer_table.cc"
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
          "include_dirs": ["vendor/opus/include"]
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
          "include_dirs": ["src/opus-config", "vendor/opus/include", "vendor/opus/celt", "vendor/opus"],
          "defines": ["HAVE_CONFIG_H"],
          "cflags": ["-O2", "-fPIC", "-w"],
          "direct_dependent_settings": {
            "include_dirs": ["vendor/opus/include"]
          }
        }
      ]
    }]
  ]
}
