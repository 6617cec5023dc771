// The Opus custom codec's time per frame, as the addon is built here (generic C, or with the SSE/NEON paths
// of build-native.mjs): encode and decode of a 440 Hz sine in every format riffbox sends, with the encoder
// settings of the reference. Runs on the target too (the image's boot test, or by hand on a Pi):
//   node dist/test/bench/codec-bench.js [--seconds N]
// Prints one line per format and a last line `codec_us_per_frame=X` (encode + decode, OPUS 128 mono normal).
// Times are CPU time of this process (process.cpuUsage), so a busy machine slows the run but not the figure.
import { OpusCustomDecoder, OpusCustomEncoder, codedBytesFor, opusVersion, type ChannelCount, type FrameSamples } from '../../appliance/src/audio/opus-codec.js';
import { native } from '../../appliance/src/audio/native.js';

const i = process.argv.indexOf('--seconds');
const SECONDS = i >= 0 ? Number(process.argv[i + 1]) : 1;

interface Figure {
  encodeUs: number;
  decodeUs: number;
}

function measure(frames: FrameSamples, channels: ChannelCount): Figure {
  const bytes = codedBytesFor(frames, channels, 'normal');
  const enc = new OpusCustomEncoder(frames, channels, bytes);
  const dec = new OpusCustomDecoder(frames, channels);
  // 256 periods of a sine, so the encoder sees a real signal rather than one frame again and again.
  const periods = 256;
  const pcm: Int16Array[] = [];
  for (let p = 0; p < periods; p++) {
    const f = new Int16Array(frames * channels);
    for (let k = 0; k < frames; k++) {
      const v = Math.round(12000 * Math.sin((2 * Math.PI * 440 * (p * frames + k)) / 48000));
      for (let c = 0; c < channels; c++) f[k * channels + c] = v;
    }
    pcm.push(f);
  }
  const coded = new Uint8Array(bytes * periods);
  const out = new Int16Array(frames * channels);
  const budgetUs = (SECONDS * 1e6) / 2;
  const cpuUs = (): number => {
    const u = process.cpuUsage();
    return u.user + u.system;
  };
  let n = 0;
  let t0 = cpuUs();
  do {
    for (let p = 0; p < periods; p++) enc.encode(pcm[p]!, coded, p * bytes);
    n += periods;
  } while (cpuUs() - t0 < budgetUs);
  const encodeUs = (cpuUs() - t0) / n;
  n = 0;
  t0 = cpuUs();
  do {
    for (let p = 0; p < periods; p++) dec.decode(coded, p * bytes, bytes, out);
    n += periods;
  } while (cpuUs() - t0 < budgetUs);
  const decodeUs = (cpuUs() - t0) / n;
  return { encodeUs, decodeUs };
}

console.log(`${opusVersion()}, ${process.arch}, ${native.opusSimd()}`);
let main: Figure | null = null;
for (const [frames, channels] of [[128, 1], [128, 2], [64, 1], [64, 2]] as const) {
  const f = measure(frames, channels);
  if (frames === 128 && channels === 1) main = f;
  console.log(
    `${frames === 64 ? 'OPUS64' : 'OPUS'} ${channels === 1 ? 'mono' : 'stereo'} normal: encode ${f.encodeUs.toFixed(2)} µs, ` +
      `decode ${f.decodeUs.toFixed(2)} µs per frame`,
  );
}
console.log(`codec_us_per_frame=${(main!.encodeUs + main!.decodeUs).toFixed(2)}`);
