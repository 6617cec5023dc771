// Runs on the booted image: for each Jamulus frame size (128 and 64 samples), encodes a 440 Hz
// sine with the addon's Opus custom encoder (the coded sizes of Jamulus "normal" mono, with the
// bitrate set as the client sets it), decodes it, and decodes a lost frame (packet-loss
// concealment). Prints one line per size, with the time one encode plus decode took and the SIMD
// paths the addon's opus was built with (the NEON intrinsics on the arm64 image). These are
// the calls that segfault with trixie's libopus 1.5.2 and that Debian 12's 1.3.1 aborts on; this
// proves the shipped addon. Under QEMU the time proves only that it runs, not a Pi's speed.
// RIFFBOX_ADDON points it at another build (e.g. the checkout's, to try it on the host).
const addon = require(process.env.RIFFBOX_ADDON ?? '/opt/riffbox/appliance/native/build/Release/riffbox_native.node');
for (const [frames, bytes] of [[128, 45], [64, 22]]) {
  const enc = new addon.OpusCustomEncoder(frames, 1, bytes);
  const dec = new addon.OpusCustomDecoder(frames, 1);
  const pcm = new Int16Array(frames);
  const out = new Int16Array(frames);
  const packet = new Uint8Array(bytes);
  let samples = 0;
  let sum = 0;
  const FRAMES = 400;
  // The sine is computed before the clock starts: only the codec is timed.
  const sine = new Int16Array(FRAMES * frames);
  for (let i = 0; i < sine.length; i++) sine[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 48000));
  const t0 = process.hrtime.bigint();
  for (let frame = 0; frame < FRAMES; frame++) {
    pcm.set(sine.subarray(frame * frames, (frame + 1) * frames));
    enc.encode(pcm, packet, 0);
    samples = dec.decode(packet, 0, packet.length, out);
    if (frame >= FRAMES - 10) for (const s of out) sum += s * s;
  }
  const us = Number(process.hrtime.bigint() - t0) / 1000 / FRAMES;
  const plc = dec.decode(null, 0, 0, out);
  console.log(`DECODE frames=${frames} samples=${samples} rms=${Math.round(Math.sqrt(sum / (10 * frames)))} plc=${plc} us_per_frame=${us.toFixed(1)} opus=${addon.opusVersion()} simd=${addon.opusSimd()}`);
}
