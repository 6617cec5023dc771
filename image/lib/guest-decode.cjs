// Runs on the booted image: for each Jamulus frame size (128 and 64 samples), encodes a 440 Hz
// sine with the addon's Opus custom encoder (the coded sizes of Jamulus "normal" mono, with the
// bitrate set as the client sets it), decodes it, and decodes a lost frame (packet-loss
// concealment). Prints one line per size, with the encode + decode time per frame and the SIMD paths
// the addon's opus was built with (NEON on the arm64 image). These are the calls that segfault with
// trixie's libopus 1.5.2 and that Debian 12's 1.3.1 aborts on; this proves the shipped addon. Under
// QEMU the time only shows that the build runs, not how fast a Pi is.
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
  for (let frame = 0; frame < 40; frame++) {
    for (let i = 0; i < frames; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * (frame * frames + i)) / 48000));
    enc.encode(pcm, packet, 0);
    samples = dec.decode(packet, 0, packet.length, out);
    if (frame >= 30) for (const s of out) sum += s * s;
  }
  // The time per frame of encode + decode alone, on a frame already made.
  const timed = 200;
  const t0 = process.hrtime.bigint();
  for (let frame = 0; frame < timed; frame++) {
    enc.encode(pcm, packet, 0);
    dec.decode(packet, 0, packet.length, out);
  }
  const us = Number(process.hrtime.bigint() - t0) / 1000 / timed;
  const plc = dec.decode(null, 0, 0, out);
  const rms = Math.round(Math.sqrt(sum / (10 * frames)));
  console.log(`DECODE frames=${frames} samples=${samples} rms=${rms} plc=${plc} us=${us.toFixed(1)} opus=${addon.opusVersion()} simd=${addon.opusSimd()}`);
}
