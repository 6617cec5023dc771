import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Mixer } from '../../appliance/src/audio/mixer.js';
import { FadeIn, fadeInPackets } from '../../appliance/src/audio/fade-in.js';

const N = 8; // samples per frame; small keeps expectations readable

function monoFrame(v: number): Int16Array {
  return new Int16Array(N).fill(v);
}
function stereoFrame(l: number, r: number): Int16Array {
  const f = new Int16Array(2 * N);
  for (let i = 0; i < N; i++) {
    f[2 * i] = l;
    f[2 * i + 1] = r;
  }
  return f;
}
function mono(m: Mixer, dest: number): number {
  const out = new Int16Array(N);
  assert.equal(m.mixFor(dest, 1, out), true);
  assert.ok(out.every((v) => v === out[0]), 'constant input gives a constant mix');
  return out[0]!;
}
function stereo(m: Mixer, dest: number): [number, number] {
  const out = new Int16Array(2 * N);
  assert.equal(m.mixFor(dest, 2, out), true);
  for (let i = 0; i < N; i++) {
    assert.equal(out[2 * i], out[0]);
    assert.equal(out[2 * i + 1], out[1]);
  }
  return [out[0]!, out[1]!];
}

test('mono destination: everybody summed, own signal included', () => {
  const m = new Mixer(4, N);
  m.setInput(0, monoFrame(1000), 1);
  m.setInput(1, monoFrame(2000), 1);
  assert.equal(mono(m, 0), 3000);
  assert.equal(mono(m, 1), 3000);
  assert.equal(mono(m, 3), 3000, 'a destination without input of its own hears the others');
});

test('gain 0 silences one source in one personal mix only; gains scale', () => {
  const m = new Mixer(4, N);
  m.setInput(0, monoFrame(1000), 1);
  m.setInput(1, monoFrame(2000), 1);
  m.setGain(0, 1, 0);
  assert.equal(mono(m, 0), 1000);
  assert.equal(mono(m, 1), 3000);
  m.setGain(0, 1, 0.5);
  assert.equal(mono(m, 0), 2000);
  m.setGain(1, 1, 0); // "mute my own"
  assert.equal(mono(m, 1), 1000);
  assert.equal(m.getGain(1, 1), 0);
});

test('mono destination, stereo source: (L+R)/2, pan ignored', () => {
  const m = new Mixer(4, N);
  m.setInput(2, stereoFrame(1000, 3000), 2);
  assert.equal(mono(m, 0), 2000);
  m.setPan(0, 2, 0);
  assert.equal(mono(m, 0), 2000);
  m.setGain(0, 2, 0.25);
  assert.equal(mono(m, 0), 500);
});

test('stereo destination, mono source: centre is full level on both sides; pan extremes', () => {
  const m = new Mixer(4, N);
  m.setInput(1, monoFrame(1000), 1);
  assert.deepEqual(stereo(m, 0), [1000, 1000]);
  m.setPan(0, 1, 0);
  assert.deepEqual(stereo(m, 0), [1000, 0]);
  m.setPan(0, 1, 1);
  assert.deepEqual(stereo(m, 0), [0, 1000]);
  m.setPan(0, 1, 0.25); // left 2·min(0.5, 0.75) = 1, right 2·min(0.5, 0.25) = 0.5
  assert.deepEqual(stereo(m, 0), [1000, 500]);
  m.setGain(0, 1, 0.5);
  assert.deepEqual(stereo(m, 0), [500, 250]);
  assert.deepEqual(stereo(m, 2), [1000, 1000], "another listener's pan is untouched");
});

test('stereo destination, stereo source: sides stay on their side, pan scales them', () => {
  const m = new Mixer(4, N);
  m.setInput(0, stereoFrame(1000, -3000), 2);
  assert.deepEqual(stereo(m, 1), [1000, -3000]);
  m.setPan(1, 0, 0);
  assert.deepEqual(stereo(m, 1), [1000, 0]);
  m.setPan(1, 0, 1);
  assert.deepEqual(stereo(m, 1), [0, -3000]);
  m.setPan(1, 0, 0.75);
  assert.deepEqual(stereo(m, 1), [500, -3000]);
});

test('mixed mono and stereo sources into both kinds of destination', () => {
  const m = new Mixer(4, N);
  m.setInput(0, monoFrame(100), 1);
  m.setInput(1, stereoFrame(1000, 3000), 2);
  assert.equal(mono(m, 0), 2100);
  assert.deepEqual(stereo(m, 1), [1100, 3100]);
});

test('saturates to int16 after summing in floating point', () => {
  const m = new Mixer(4, N);
  for (let ch = 0; ch < 3; ch++) m.setInput(ch, monoFrame(20000), 1);
  assert.equal(mono(m, 0), 32767);
  for (let ch = 0; ch < 3; ch++) m.setInput(ch, monoFrame(-20000), 1);
  assert.equal(mono(m, 0), -32768);
  // Intermediate overflow does not clip: +30000 +30000 −30000 = 30000.
  m.setInput(0, monoFrame(30000), 1);
  m.setInput(1, monoFrame(30000), 1);
  m.setInput(2, monoFrame(-30000), 1);
  assert.equal(mono(m, 0), 30000);
  m.setInput(0, stereoFrame(32767, -32768), 2);
  m.setInput(1, stereoFrame(32767, -32768), 2);
  m.removeInput(2);
  assert.deepEqual(stereo(m, 0), [32767, -32768]);
});

test('fade factors: F_S on a source everywhere, F_D on the others in D’s own mix', () => {
  const m = new Mixer(4, N);
  m.setInput(0, monoFrame(1000), 1);
  m.setInput(1, monoFrame(2000), 1);
  m.setFade(0, 0.5);
  assert.equal(mono(m, 0), 1500); // 0.5·1000 + 0.5·2000
  assert.equal(mono(m, 1), 2500); // 0.5·1000 + 2000
  m.setFade(1, 0.25);
  assert.equal(mono(m, 0), 750); // 0.5·1000 + 0.25·0.5·2000
  assert.equal(mono(m, 1), 625); // 0.5·0.25·1000 + 0.25·2000
  assert.deepEqual(stereo(m, 1), [625, 625]);
  m.setFade(0, 0);
  assert.equal(mono(m, 1), 500);
});

test('removeInput takes a channel out of every mix; resetChannel restores defaults', () => {
  const m = new Mixer(4, N);
  m.setInput(0, monoFrame(1000), 1);
  m.setInput(1, monoFrame(2000), 1);
  m.setInput(2, monoFrame(4000), 1);
  m.removeInput(1);
  assert.equal(m.inputCount, 2);
  assert.equal(mono(m, 0), 5000);
  m.setGain(0, 2, 0);
  m.setPan(3, 2, 0);
  m.resetChannel(2);
  assert.equal(m.getGain(0, 2), 1);
  assert.equal(m.getPan(3, 2), 0.5);
  assert.equal(mono(m, 0), 5000);
});

test('float input is scaled to the int16 range', () => {
  const m = new Mixer(2, N);
  m.setInputFloat(0, new Float32Array(N).fill(0.5), 1);
  assert.equal(mono(m, 1), 16384);
});

test('bad arguments are refused without throwing', () => {
  const m = new Mixer(2, N);
  assert.equal(m.setInput(2, monoFrame(1), 1), false);
  assert.equal(m.setInput(0, new Int16Array(N), 2), false, 'too short for stereo');
  assert.equal(m.mixFor(0, 2, new Int16Array(N)), false, 'out too short');
  assert.equal(m.setGain(0, 1, -1), false);
  assert.equal(m.setPan(0, 1, 1.5), false);
  assert.equal(m.setFade(0, 2), false);
});

/** Direct O(N²) evaluation of the §4.4 rules, as an independent oracle. */
function reference(
  inputs: (Int16Array | null)[],
  chans: number[],
  G: number[][],
  P: number[][],
  F: number[],
  dest: number,
  destCh: 1 | 2,
): number[] {
  const out = new Array<number>(N * destCh).fill(0);
  for (let s = 0; s < inputs.length; s++) {
    const x = inputs[s];
    if (!x) continue;
    const g = G[dest]![s]! * F[s]! * (s !== dest ? F[dest]! : 1);
    const p = P[dest]![s]!;
    for (let i = 0; i < N; i++) {
      const l = chans[s] === 2 ? x[2 * i]! : x[i]!;
      const r = chans[s] === 2 ? x[2 * i + 1]! : x[i]!;
      if (destCh === 1) out[i]! += g * (chans[s] === 2 ? (l + r) / 2 : l);
      else {
        out[2 * i]! += g * 2 * Math.min(0.5, 1 - p) * l;
        out[2 * i + 1]! += g * 2 * Math.min(0.5, p) * r;
      }
    }
  }
  return out.map((v) => Math.max(-32768, Math.min(32767, Math.trunc(v))));
}

test('random sessions agree with a direct evaluation of the rules', () => {
  let seed = 12345;
  const rnd = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x80000000;
  };
  const C = 7;
  for (let round = 0; round < 40; round++) {
    const m = new Mixer(C, N);
    const inputs: (Int16Array | null)[] = [];
    const chans: number[] = [];
    const G: number[][] = [];
    const P: number[][] = [];
    const F: number[] = [];
    for (let s = 0; s < C; s++) {
      const present = rnd() < 0.8;
      const ch = rnd() < 0.5 ? 1 : 2;
      const x = new Int16Array(N * ch);
      for (let i = 0; i < x.length; i++) x[i] = Math.floor((rnd() - 0.5) * 30000);
      inputs.push(present ? x : null);
      chans.push(ch);
      if (present) m.setInput(s, x, ch as 1 | 2);
      F.push(rnd() < 0.7 ? 1 : Math.round(rnd() * 100) / 100);
      m.setFade(s, F[s]!);
      G.push([]);
      P.push([]);
      for (let t = 0; t < C; t++) {
        const g = rnd() < 0.7 ? 1 : Math.round(rnd() * 100) / 100;
        const p = rnd() < 0.7 ? 0.5 : Math.round(rnd() * 100) / 100;
        G[s]!.push(g);
        P[s]!.push(p);
        m.setGain(s, t, g);
        m.setPan(s, t, p);
      }
    }
    for (let d = 0; d < C; d++) {
      for (const dc of [1, 2] as const) {
        const out = new Int16Array(N * dc);
        m.mixFor(d, dc, out);
        const want = reference(inputs, chans, G, P, F, d, dc);
        for (let i = 0; i < want.length; i++) {
          // Summation order differs, so a value sitting on an integer may truncate either way.
          assert.ok(Math.abs(out[i]! - want[i]!) <= 1, `round ${round} dest ${d}/${dc} i ${i}: ${out[i]} vs ${want[i]}`);
        }
      }
    }
  }
});

test('fade-in ramps linearly over 2250/factor (OPUS64) or 1125/factor (OPUS) packets', () => {
  assert.equal(fadeInPackets(64, 1), 2250);
  assert.equal(fadeInPackets(64, 2), 1125);
  assert.equal(fadeInPackets(128, 1), 1125);
  assert.equal(fadeInPackets(128, 2), 562);
  const f = new FadeIn();
  assert.equal(f.value, 1, 'a channel that never started a ramp is at full level');
  f.start(128, 1);
  assert.equal(f.value, 0);
  for (let i = 0; i < 225; i++) f.onPacket();
  assert.equal(f.value, 0.2);
  f.setFormat(64, 1); // same progress over the longer ramp
  assert.equal(f.value, 0.2);
  for (let i = 0; i < 1800; i++) f.onPacket();
  assert.equal(f.done, true);
  assert.equal(f.value, 1);
  f.onPacket();
  assert.equal(f.value, 1);
});
