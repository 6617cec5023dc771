// The Opus custom codec in the native addon: exact Jamulus frame sizes, audio that survives
// the round trip, PLC, the Debian 12 128-sample trap, hostile bytes and bad arguments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  CODED_BYTES,
  OpusCustomDecoder,
  OpusCustomEncoder,
  codedBytesFor,
  opusVersion,
  qualityForCodedBytes,
  type ChannelCount,
  type FrameSamples,
} from '../../appliance/src/audio/opus-codec.js';

const RATE = 48000;

function sineFrames(frameSamples: number, channels: number, seconds: number, freqs: number[], amplitude: number): Int16Array[] {
  const total = Math.round(RATE * seconds);
  const frames: Int16Array[] = [];
  for (let start = 0; start + frameSamples <= total; start += frameSamples) {
    const f = new Int16Array(frameSamples * channels);
    for (let i = 0; i < frameSamples; i++) {
      for (let c = 0; c < channels; c++) {
        f[i * channels + c] = Math.round(amplitude * 32767 * Math.sin((2 * Math.PI * (freqs[c] ?? 1000) * (start + i)) / RATE));
      }
    }
    frames.push(f);
  }
  return frames;
}

/** One channel out of interleaved frames, concatenated. */
function channelOf(frames: Int16Array[], channels: number, c: number): Float64Array {
  const n = frames.reduce((s, f) => s + f.length / channels, 0);
  const out = new Float64Array(n);
  let k = 0;
  for (const f of frames) for (let i = c; i < f.length; i += channels) out[k++] = (f[i] ?? 0) / 32768;
  return out;
}

function rms(x: Float64Array): number {
  let s = 0;
  for (const v of x) s += v * v;
  return Math.sqrt(s / x.length);
}

/** Frequency (25 Hz grid, 100 Hz..8 kHz) with the most energy, by direct DFT. */
function dominantFrequency(x: Float64Array): number {
  let best = 0;
  let bestPower = -1;
  for (let f = 100; f <= 8000; f += 25) {
    let re = 0;
    let im = 0;
    const w = (2 * Math.PI * f) / RATE;
    for (let i = 0; i < x.length; i++) {
      const v = x[i] ?? 0;
      re += v * Math.cos(w * i);
      im -= v * Math.sin(w * i);
    }
    const p = re * re + im * im;
    if (p > bestPower) {
      bestPower = p;
      best = f;
    }
  }
  return best;
}

for (const frameSamples of [64, 128] as FrameSamples[]) {
  for (const channels of [1, 2] as ChannelCount[]) {
    const label = `${frameSamples}-sample ${channels === 1 ? 'mono' : 'stereo'}`;
    test(`${label}: a 1 kHz sine survives encode/decode at exact frame sizes`, () => {
      const codedBytes = codedBytesFor(frameSamples, channels, 'normal');
      const enc = new OpusCustomEncoder(frameSamples, channels, codedBytes);
      const dec = new OpusCustomDecoder(frameSamples, channels);
      assert.equal(enc.frameSamples, frameSamples);
      assert.equal(enc.channels, channels);
      assert.equal(enc.codedBytes, codedBytes);
      // Right channel at 1.5 kHz proves the interleaving is kept.
      const freqs = [1000, 1500];
      const input = sineFrames(frameSamples, channels, 0.5, freqs, 0.5);
      const packet = new Uint8Array(codedBytes + 8).fill(0xaa);
      const decoded: Int16Array[] = [];
      for (const frame of input) {
        packet.fill(0xaa);
        assert.equal(enc.encode(frame, packet, 4), codedBytes);
        // Exactly codedBytes written at the offset, nothing around it.
        for (let i = 0; i < 4; i++) assert.equal(packet[i], 0xaa);
        for (let i = 4 + codedBytes; i < packet.length; i++) assert.equal(packet[i], 0xaa);
        const out = new Int16Array(frameSamples * channels);
        assert.equal(dec.decode(packet, 4, codedBytes, out), frameSamples);
        decoded.push(out);
      }
      // Skip the first 50 ms: the codec's start-up transient.
      const skip = Math.ceil((0.05 * RATE) / frameSamples);
      for (let c = 0; c < channels; c++) {
        const got = channelOf(decoded.slice(skip), channels, c);
        const want = channelOf(input.slice(skip), channels, c);
        assert.equal(dominantFrequency(got), freqs[c], `channel ${c} dominant frequency`);
        const ratio = rms(got) / rms(want);
        assert.ok(ratio > 0.8 && ratio < 1.2, `channel ${c} energy ratio ${ratio.toFixed(3)}`);
      }
    });

    test(`${label}: every reference quality gives exactly its coded size`, () => {
      const frame = sineFrames(frameSamples, channels, 0.01, [440, 660], 0.3)[0] ?? new Int16Array(0);
      const enc = new OpusCustomEncoder(frameSamples, channels, 10);
      for (const [quality, bytes] of Object.entries(CODED_BYTES[frameSamples][channels])) {
        enc.setCodedBytes(bytes);
        assert.equal(enc.codedBytes, bytes);
        const out = new Uint8Array(bytes);
        for (let i = 0; i < 5; i++) assert.equal(enc.encode(frame, out, 0), bytes, `${quality} frame ${i}`);
      }
    });

    test(`${label}: a lost frame is concealed with a full frame`, () => {
      const codedBytes = codedBytesFor(frameSamples, channels, 'normal');
      const enc = new OpusCustomEncoder(frameSamples, channels, codedBytes);
      const dec = new OpusCustomDecoder(frameSamples, channels);
      const packet = new Uint8Array(codedBytes);
      const out = new Int16Array(frameSamples * channels);
      for (const frame of sineFrames(frameSamples, channels, 0.05, [1000, 1000], 0.5)) {
        enc.encode(frame, packet, 0);
        dec.decode(packet, 0, codedBytes, out);
      }
      out.fill(12345);
      assert.equal(dec.decode(null, 0, 0, out), frameSamples);
      assert.ok(out.some((v) => v !== 12345), 'PLC wrote the output');
      // PLC continues the sine rather than producing silence.
      assert.ok(rms(channelOf([out], channels, 0)) > 0.01);
      out.fill(12345);
      // An empty packet counts as lost too.
      assert.equal(dec.decode(packet, 0, 0, out), frameSamples);
      assert.ok(out.some((v) => v !== 12345));
    });
  }
}

test('128-sample frames decode with the linked opus (Debian 12 system 1.3.1 aborts here)', () => {
  // In a child process: an abort() would otherwise take the whole test file down silently.
  const facade = new URL('../../appliance/src/audio/opus-codec.js', import.meta.url).href;
  const script = `
    const { OpusCustomEncoder, OpusCustomDecoder, opusVersion } = await import(${JSON.stringify(facade)});
    let n = 0;
    for (const ch of [1, 2]) {
      const bytes = ch === 1 ? 45 : 71;
      const enc = new OpusCustomEncoder(128, ch, bytes), dec = new OpusCustomDecoder(128, ch);
      const pcm = new Int16Array(128 * ch), pkt = new Uint8Array(bytes), out = new Int16Array(128 * ch);
      for (let f = 0; f < 200; f++) {
        for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(8000 * Math.sin((f * 128 + i) * 0.13));
        enc.encode(pcm, pkt, 0);
        if (dec.decode(pkt, 0, bytes, out) === 128) n++;
        if (f % 7 === 0 && dec.decode(null, 0, 0, out) === 128) n++;
      }
    }
    console.log(opusVersion() + ' decoded=' + n);`;
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20000 });
  // 2 channel layouts × (200 frames + 29 concealed frames, every 7th of 0..199).
  assert.match(output, /^libopus \S+ decoded=458$/m);
});

test('a version string names the linked libopus', () => {
  assert.match(opusVersion(), /^libopus \d+\.\d+/);
});

test('a silent 45-byte OPUS mono frame is 00 ff fe 00 00 … as the reference sends', () => {
  const enc = new OpusCustomEncoder(128, 1, 45);
  const out = new Uint8Array(45);
  assert.equal(enc.encode(new Int16Array(128), out, 0), 45);
  assert.deepEqual([...out.subarray(0, 5)], [0x00, 0xff, 0xfe, 0x00, 0x00]);
  assert.ok(out.subarray(5).every((b) => b === 0));
});

test('garbage bytes never crash the decoder; it returns a frame or a negative code', () => {
  let seed = 0x12345678;
  const rand = (): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 0x100000000;
  };
  const buf = new Uint8Array(2000);
  let negative = 0;
  for (const frameSamples of [64, 128] as FrameSamples[]) {
    for (const channels of [1, 2] as ChannelCount[]) {
      const dec = new OpusCustomDecoder(frameSamples, channels);
      const out = new Int16Array(frameSamples * channels);
      for (let i = 0; i < 1500; i++) {
        const len = i % 100 === 0 ? 1276 + Math.floor(rand() * 700) : 1 + Math.floor(rand() * 300);
        for (let j = 0; j < len; j++) buf[j] = Math.floor(rand() * 256);
        const r = dec.decode(buf, 0, len, out);
        assert.ok(r === frameSamples || r < 0, `decode returned ${r}`);
        if (r < 0) negative++;
      }
      // The decoder is still usable afterwards.
      assert.equal(dec.decode(null, 0, 0, out), frameSamples);
    }
  }
  // Lengths over 1275 can never be a CELT frame.
  assert.ok(negative >= 4 * 15, `only ${negative} rejections`);
});

test('bad arguments throw TypeError with a clear message', () => {
  assert.throws(() => new OpusCustomEncoder(100 as FrameSamples, 1, 45), { name: 'TypeError', message: 'OpusCustomEncoder: frameSamples must be 64 or 128' });
  assert.throws(() => new OpusCustomEncoder(128, 3 as ChannelCount, 45), { name: 'TypeError', message: 'OpusCustomEncoder: channels must be 1 or 2' });
  assert.throws(() => new OpusCustomEncoder(128, 1, 1), { name: 'TypeError', message: 'OpusCustomEncoder: codedBytes must be an integer in 2..1275' });
  assert.throws(() => new OpusCustomEncoder(128, 1, 45.5), { name: 'TypeError', message: 'OpusCustomEncoder: codedBytes must be an integer' });
  assert.throws(() => new OpusCustomDecoder(32 as FrameSamples, 1), { name: 'TypeError', message: 'OpusCustomDecoder: frameSamples must be 64 or 128' });
  assert.throws(() => new (OpusCustomDecoder as unknown as new (...a: unknown[]) => unknown)('128', 1), { name: 'TypeError', message: 'OpusCustomDecoder: frameSamples must be a number' });

  const enc = new OpusCustomEncoder(64, 2, 35);
  const pcm = new Int16Array(128);
  const out = new Uint8Array(40);
  assert.throws(() => enc.encode(new Float32Array(128) as unknown as Int16Array, out, 0), { name: 'TypeError', message: 'encode: pcm must be an Int16Array' });
  assert.throws(() => enc.encode(new Int16Array(127), out, 0), { name: 'TypeError', message: 'encode: pcm must hold frameSamples*channels = 128 samples' });
  assert.throws(() => enc.encode(pcm, new Int8Array(40) as unknown as Uint8Array, 0), { name: 'TypeError', message: 'encode: out must be a Uint8Array' });
  assert.throws(() => enc.encode(pcm, out, 6), { name: 'TypeError', message: 'encode: out has no room for 35 bytes at outOffset 6' });
  assert.throws(() => enc.encode(pcm, out, -1), { name: 'TypeError', message: 'encode: out has no room for 35 bytes at outOffset -1' });
  assert.throws(() => enc.setCodedBytes(5000), { name: 'TypeError', message: 'OpusCustomEncoder: codedBytes must be an integer in 2..1275' });
  assert.equal(enc.codedBytes, 35, 'a refused size leaves the old one');

  const dec = new OpusCustomDecoder(64, 2);
  const pkt = new Uint8Array(35);
  assert.throws(() => dec.decode(pkt, 0, 35, new Int16Array(127)), { name: 'TypeError', message: 'decode: out must hold frameSamples*channels = 128 samples' });
  assert.throws(() => dec.decode(pkt, 1, 35, new Int16Array(128)), { name: 'TypeError', message: "decode: offset 1 + length 35 exceeds the packet's 35 bytes" });
  assert.throws(() => dec.decode([1, 2, 3] as unknown as Uint8Array, 0, 3, new Int16Array(128)), { name: 'TypeError', message: 'decode: packet must be a Uint8Array or null' });
  assert.throws(() => dec.decode(pkt, 0, 1.5, new Int16Array(128)), { name: 'TypeError', message: 'decode: length must be an integer' });
});

test('the coded-size table is the reference client\'s (§3.2)', () => {
  assert.equal(codedBytesFor(128, 1, 'normal'), 45);
  assert.equal(codedBytesFor(128, 2, 'high'), 165);
  assert.equal(codedBytesFor(64, 1, 'low'), 12);
  assert.equal(codedBytesFor(64, 2, 'high'), 73);
  assert.equal(qualityForCodedBytes(128, 2, 71), 'normal');
  assert.equal(qualityForCodedBytes(128, 2, 142), undefined);
});
