import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sine, rms, rmsDb, dominantFrequency, toneRatioDb, toneLevelDb, dropoutWindows, readWav, writeWav, parseWav, encodeWav } from '../harness/audio-analysis.js';

const RATE = 48000;

function noise(n: number, amplitude: number, seed = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    out[i] = amplitude * ((s / 0x7fffffff) * 2 - 1);
  }
  return out;
}

test('rms of a sine is amplitude/√2', () => {
  assert.ok(Math.abs(rms(sine(240, RATE, 1, 0.2)) - 0.2 / Math.SQRT2) < 1e-4);
  assert.equal(rmsDb(new Float32Array(100)), -Infinity);
});

test('dominantFrequency finds 240 Hz and 720 Hz to within 1 Hz, also in noise', () => {
  assert.ok(Math.abs(dominantFrequency(sine(240, RATE, 2), RATE) - 240) < 1);
  assert.ok(Math.abs(dominantFrequency(sine(720, RATE, 2), RATE) - 720) < 1);
  const mixed = sine(240, RATE, 2, 0.2);
  const n = noise(mixed.length, 0.1);
  const quieter = sine(720, RATE, 2, 0.05);
  for (let i = 0; i < mixed.length; i++) mixed[i] = mixed[i]! + n[i]! + quieter[i]!;
  assert.ok(Math.abs(dominantFrequency(mixed, RATE) - 240) < 1);
  assert.ok(Math.abs(dominantFrequency(mixed, RATE, { minHz: 500 }) - 720) < 1);
});

test('toneRatioDb is high for a clean tone and low for the wrong frequency or noise', () => {
  const clean = sine(240, RATE, 2);
  assert.ok(toneRatioDb(clean, RATE, 240) > 40);
  assert.ok(toneRatioDb(clean, RATE, 720) < -40);
  assert.ok(toneRatioDb(noise(RATE * 2, 0.2), RATE, 240) < -10);
  // Equal parts 240 and 720 Hz: about 0 dB.
  const both = sine(240, RATE, 2);
  const other = sine(720, RATE, 2);
  for (let i = 0; i < both.length; i++) both[i] = both[i]! + other[i]!;
  assert.ok(Math.abs(toneRatioDb(both, RATE, 240)) < 1);
});

test('toneLevelDb measures the level of one tone among others', () => {
  const s = sine(240, RATE, 2, 0.2);
  const other = sine(720, RATE, 2, 0.5);
  for (let i = 0; i < s.length; i++) s[i] = s[i]! + other[i]!;
  const expected = 20 * Math.log10(0.2 / Math.SQRT2);
  assert.ok(Math.abs(toneLevelDb(s, RATE, 240) - expected) < 0.5, `${toneLevelDb(s, RATE, 240)} vs ${expected}`);
});

test('a clean sine has no dropout windows; a 40 ms gap produces them at the right time', () => {
  const s = sine(240, RATE, 3);
  assert.deepEqual(dropoutWindows(s, RATE), []);
  const gapStart = Math.round(1.5 * RATE);
  s.fill(0, gapStart, gapStart + Math.round(0.04 * RATE));
  const d = dropoutWindows(s, RATE, { windowMs: 20 });
  assert.ok(d.length >= 1 && d.length <= 3, JSON.stringify(d));
  assert.ok(d.every((w) => w.startSec >= 1.48 && w.endSec <= 1.56), JSON.stringify(d));
});

test('relativeDb catches a level collapse that is not silent', () => {
  const start = 48000;
  // The tone is at −17 dBFS; ×0.05 puts 100 ms of it at −43 dBFS: not silent, but 26 dB down.
  const t = sine(240, RATE, 2);
  for (let i = start; i < start + 0.1 * RATE; i++) t[i] = t[i]! * 0.05;
  assert.deepEqual(dropoutWindows(t, RATE), []);
  assert.equal(dropoutWindows(t, RATE, { relativeDb: 20 }).length, 5);
  // ×0.01 → −57 dBFS: silent by the absolute threshold alone.
  const s = sine(240, RATE, 2);
  for (let i = start; i < start + 0.1 * RATE; i++) s[i] = s[i]! * 0.01;
  assert.equal(dropoutWindows(s, RATE).length, 5);
});

test('WAV round trip: 16-bit int and 32-bit float, and a 32-bit int file as jack_rec -b 32 writes it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'harness-wav-'));
  try {
    const l = sine(240, RATE, 0.5);
    const r = sine(720, RATE, 0.5);
    writeWav(join(dir, 'a.wav'), [l, r], RATE, 'int16');
    const a = readWav(join(dir, 'a.wav'));
    assert.equal(a.sampleRate, RATE);
    assert.equal(a.format, 'int');
    assert.equal(a.channels.length, 2);
    assert.ok(Math.abs(a.channels[1]![1000]! - r[1000]!) < 1 / 16384);
    const f = parseWav(encodeWav([l], RATE, 'float32'));
    assert.equal(f.format, 'float');
    assert.equal(f.channels[0]![777], l[777]);
    // Hand-built 32-bit PCM with an extra chunk before 'data' and an unfinished data size of 0.
    const frames = 4;
    const buf = Buffer.alloc(12 + 24 + 12 + 8 + frames * 4);
    buf.write('RIFF', 0, 'ascii');
    buf.writeUInt32LE(buf.length - 8, 4);
    buf.write('WAVEfmt ', 8, 'ascii');
    buf.writeUInt32LE(16, 16);
    buf.writeUInt16LE(1, 20);
    buf.writeUInt16LE(1, 22);
    buf.writeUInt32LE(RATE, 24);
    buf.writeUInt32LE(RATE * 4, 28);
    buf.writeUInt16LE(4, 32);
    buf.writeUInt16LE(32, 34);
    buf.write('PEAK', 36, 'ascii');
    buf.writeUInt32LE(4, 40);
    buf.write('data', 48, 'ascii');
    buf.writeUInt32LE(0, 52);
    buf.writeInt32LE(1 << 30, 56);
    buf.writeInt32LE(-2147483648, 60);
    const w = parseWav(buf);
    assert.deepEqual([...w.channels[0]!], [0.5, -1, 0, 0]);
    writeFileSync(join(dir, 'bad.wav'), 'not a wav');
    assert.throws(() => readWav(join(dir, 'bad.wav')), /bad\.wav: not a RIFF\/WAVE file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
