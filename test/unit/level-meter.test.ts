import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  LevelMeter,
  framePeak,
  levelFromPeak,
  levelListBytes,
  packLevelList,
  unpackLevelList,
} from '../../appliance/src/audio/level-meter.js';

const N = 128;

function square(amplitude: number, negative = -amplitude): Int16Array {
  const f = new Int16Array(N);
  for (let i = 0; i < N; i++) f[i] = i % 2 === 0 ? amplitude : negative;
  return f;
}
function constant(v: number, len = N): Int16Array {
  return new Int16Array(len).fill(v);
}

test('full scale: 9 only with the most negative sample, 8 at ±32767', () => {
  assert.equal(new LevelMeter().update(constant(-32768), N, 1), 9);
  assert.equal(new LevelMeter().update(square(32767), N, 1), 8);
});

test('−20 dB re full scale maps to 5 (4.8 rounded up)', () => {
  assert.equal(new LevelMeter().update(constant(-3277), N, 1), 5);
  assert.equal(levelFromPeak(3277), 5);
});

test('silence and the −50 dB floor', () => {
  assert.equal(new LevelMeter().update(new Int16Array(N), N, 1), 0);
  assert.equal(levelFromPeak(0), 0);
  assert.equal(levelFromPeak(100), 0); // −50.3 dB
  assert.equal(levelFromPeak(104), 1); // −49.97 dB
});

test('only the negative excursion counts, as in the reference', () => {
  assert.equal(framePeak(constant(20000), N, 1), 0);
  assert.equal(framePeak(constant(-20000), N, 1), 20000);
});

test('every third sample (mono) or sample pair (stereo) is looked at', () => {
  const mono = new Int16Array(N);
  mono[1] = -30000;
  mono[2] = -30000;
  assert.equal(framePeak(mono, N, 1), 0);
  mono[3] = -1000;
  assert.equal(framePeak(mono, N, 1), 1000);

  const st = new Int16Array(2 * N);
  st[2] = -30000; // pair 1, left
  st[5] = -30000; // pair 2, right
  assert.equal(framePeak(st, N, 2), 0);
  st[7] = -2000; // pair 3, right
  assert.equal(framePeak(st, N, 2), 2000);
  st[6] = -3000; // pair 3, left
  assert.equal(framePeak(st, N, 2), 3000);
});

test('peak hold halves per update and falls to 0', () => {
  const m = new LevelMeter();
  const silence = new Int16Array(N);
  const levels = [m.update(constant(-32768), N, 1)];
  for (let i = 0; i < 16; i++) levels.push(m.update(silence, N, 1));
  // 32768, 16384 (−6 dB), 8192, 4096, …
  assert.deepEqual(levels.slice(0, 4), [9, 8, 7, 6]);
  for (let i = 1; i < levels.length; i++) assert.ok(levels[i]! <= levels[i - 1]!);
  assert.equal(levels[levels.length - 1], 0);
  assert.equal(m.heldPeak, 0);
  // A new peak above the held value replaces it at once.
  m.update(constant(-1000), N, 1);
  assert.equal(m.update(constant(-3277), N, 1), 5);
});

test('level list packing: low nibble first, 0xF pads an odd count', () => {
  const dst = new Uint8Array(4).fill(0xaa);
  assert.equal(packLevelList([0], 1, dst), 1);
  assert.equal(dst[0], 0xf0); // the observed "f0" for one client at level 0
  assert.equal(packLevelList([3, 7], 2, dst), 1);
  assert.equal(dst[0], 0x73);
  assert.equal(packLevelList([1, 2, 9], 3, dst, 1), 2);
  assert.deepEqual([...dst.subarray(1, 3)], [0x21, 0xf9]);
  assert.equal(levelListBytes(150), 75);
  assert.equal(packLevelList([1, 2, 3], 3, new Uint8Array(1)), -1, 'dst too short');
  assert.equal(packLevelList(new Uint8Array(0), 0, dst), 0);
});

test('level list unpacking stops at the 0xF pad', () => {
  const out = new Uint8Array(150);
  assert.equal(unpackLevelList(Uint8Array.of(0x21, 0xf9), 0, 2, out), 3);
  assert.deepEqual([...out.subarray(0, 3)], [1, 2, 9]);
  assert.equal(unpackLevelList(Uint8Array.of(0xf0), 0, 1, out), 1);
  assert.equal(out[0], 0);
  assert.equal(unpackLevelList(Uint8Array.of(0x73), 0, 1, out), 2);
});
