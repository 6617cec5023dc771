// Runs on the booted image: encodes four 128-sample frames of a 440 Hz sine with the addon's
// Opus custom encoder (45 bytes, Jamulus "normal" mono) and decodes them again, printing the
// decoded sample count and RMS. Decoding 128-sample custom frames is what Debian 12's libopus
// could not do, so this proves the image's libopus and addon together.
const addon = require('/opt/riffbox/appliance/native/build/Release/riffbox_native.node');
const enc = new addon.OpusCustomEncoder(128, 1, 45);
const dec = new addon.OpusCustomDecoder(128, 1);
const pcm = new Int16Array(128);
const out = new Int16Array(128);
const packet = new Uint8Array(45);
let samples = 0;
for (let frame = 0; frame < 4; frame++) {
  for (let i = 0; i < 128; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * (frame * 128 + i)) / 48000));
  enc.encode(pcm, packet, 0);
  samples = dec.decode(packet, 0, packet.length, out);
}
let sum = 0;
for (const s of out) sum += s * s;
console.log(`DECODE samples=${samples} rms=${Math.round(Math.sqrt(sum / out.length))} opus=${addon.opusVersion()}`);
