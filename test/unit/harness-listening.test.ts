// The audio verdict under host CPU steal (harness/listening.ts): what passes, fails and stays undecided.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toneProblems, listenUntilJudged, judgeInQuietWindows, type Recorded } from '../harness/listening.js';
import { sine } from '../harness/audio-analysis.js';

const RATE = 48000;
const clean = (): Float32Array => sine(240, RATE, 10);
function withGap(): Float32Array {
  const s = clean();
  s.fill(0, RATE * 4, RATE * 4 + 4800); // 100 ms of silence
  return s;
}

function fakeT(): { diagnostics: string[]; skipped: string[]; diagnostic(m: string): void; skip(m?: string): void } {
  const diagnostics: string[] = [];
  const skipped: string[] = [];
  return { diagnostics, skipped, diagnostic: (m) => void diagnostics.push(m), skip: (m) => void skipped.push(m ?? '') };
}
const steal = (fraction: number) => () => ({ read: () => ({ fraction, stolenMs: fraction * 20000 }) });
const windows = (...signals: Float32Array[]) => {
  let i = 0;
  return async (): Promise<Recorded[]> => [{ label: `w${++i}`, samples: signals[Math.min(i - 1, signals.length - 1)]!, freq: 240 }];
};

test('toneProblems: a clean tone has none; a gap, a wrong tone and noise are named', () => {
  assert.deepEqual(toneProblems(clean(), 240, 'clean').problems, []);
  assert.match(toneProblems(withGap(), 240, 'gap').problems.join('\n'), /dropout windows, first at 4\.000 s/);
  assert.match(toneProblems(sine(250, RATE, 10), 240, 'wrong').problems.join('\n'), /dominant frequency is not 240 Hz/);
  const noisy = clean().map((v, i) => v + (i % 4800 < 2400 ? Math.sin(i * 1.7) * 0.3 : 0));
  assert.ok(toneProblems(noisy, 240, 'noisy').problems.length > 0);
});

test('a passing window ends the wait', async () => {
  const t = fakeT();
  assert.equal(await listenUntilJudged({ t, record: windows(clean()), meter: steal(0) }), 'passed');
  assert.deepEqual(t.skipped, []);
});

test('two failing windows on a quiet host fail the test; one is retried', async () => {
  await assert.rejects(listenUntilJudged({ t: fakeT(), record: windows(withGap()), meter: steal(0) }), /dropout windows[\s\S]*2 window\(s\) failed with the host quiet/);
  assert.equal(await listenUntilJudged({ t: fakeT(), record: windows(withGap(), clean()), meter: steal(0) }), 'passed');
});

test('failing windows while the host steals CPU are measured again, then left undecided (skipped), never passed', async () => {
  const t = fakeT();
  let n = 0;
  const record = async (): Promise<Recorded[]> => (n++, [{ label: 'x', samples: withGap(), freq: 240 }]);
  assert.equal(await listenUntilJudged({ t, record, meter: steal(0.3), maxWindows: 3 }), 'undecided');
  assert.equal(n, 3);
  assert.equal(t.skipped.length, 1);
  assert.match(t.skipped[0]!, /every window was disturbed \(window 1: host stole 30\.0 % of CPU time/);
});

test('a disturbed failure followed by a quiet failure still fails', async () => {
  let i = 0;
  const meter = () => ({ read: () => ({ fraction: i++ === 0 ? 0.3 : 0, stolenMs: 0 }) });
  await assert.rejects(listenUntilJudged({ t: fakeT(), record: windows(withGap()), meter, maxWindows: 2 }), /1 window\(s\) failed with the host quiet; disturbed: window 1/);
});

test("a window's own disturbance (e.g. jackd waking late) also makes a failure undecided", async () => {
  const t = fakeT();
  const verdict = await judgeInQuietWindows({ t, meter: steal(0), maxWindows: 2, window: async () => ({ problems: ['3 xruns'], summaries: ['3 xruns'], disturbance: "jackd's driver woke late 2 times" }) });
  assert.equal(verdict, 'undecided');
  assert.match(t.skipped[0]!, /jackd's driver woke late 2 times/);
});
