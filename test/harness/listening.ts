// Judging real-time audio on machines whose host sometimes takes the CPU away.
//
// A window of audio is recorded and judged; the host's CPU steal over that window is measured
// beside it. A window that passes ends the wait. A window that fails while the host left the VM
// alone is a real failure (two of them fail the test). A window that fails while the host stole
// CPU time says nothing about the code under test — Debian's own Jamulus fails those windows the
// same way — so another window is taken; if every window is disturbed, the verdict is reported as
// undecided and the test is marked skipped with the figures, never passed.
import type { TestContext } from 'node:test';
import { AssertionError } from 'node:assert';
import { dominantFrequency, toneRatioDb, dropoutWindows, toneGlitchWindows, describeSignal } from './audio-analysis.js';
import { stealMeter, describeSteal, type StealReading } from './host-steal.js';
import { driverLateWakeups, type Jack } from './jack.js';

function lateWakeups(jacks: readonly Jack[] | undefined): number {
  return (jacks ?? []).reduce((n, j) => n + driverLateWakeups(j), 0);
}

const RATE = 48000;

export interface ToneCriteria {
  /** Largest allowed distance of the dominant frequency from the tone (default 2 Hz). */
  toleranceHz?: number;
  /** The tone's energy over everything else, whole recording (default 10 dB; null: not checked). */
  minToneRatioDb?: number | null;
  /** Silent windows: 20 ms below −50 dBFS or this many dB under the median (default 20; null: only −50 dBFS). */
  dropoutRelativeDb?: number | null;
  /** At most this many 100 ms windows whose tone is drowned by clicks (default 20 of 100 per 10 s; null: report only). */
  maxGlitchWindowsPer10s?: number | null;
}

/** What is wrong with `samples` as a recording of a steady `freq` tone; [] when nothing is. */
export function toneProblems(samples: Float32Array, freq: number, label: string, criteria: ToneCriteria = {}): { problems: string[]; summary: string } {
  const what = `${label}: ${describeSignal(samples, RATE, freq)}`;
  const problems: string[] = [];
  if (!(Math.abs(dominantFrequency(samples, RATE) - freq) < (criteria.toleranceHz ?? 2))) problems.push(`${what}: the dominant frequency is not ${freq} Hz`);
  const minRatio = criteria.minToneRatioDb === undefined ? 10 : criteria.minToneRatioDb;
  if (minRatio !== null && !(toneRatioDb(samples, RATE, freq) > minRatio)) problems.push(`${what}: tone ratio not above ${minRatio} dB`);
  const rel = criteria.dropoutRelativeDb === undefined ? 20 : criteria.dropoutRelativeDb;
  const gaps = dropoutWindows(samples, RATE, { windowMs: 20, silenceDb: -50, ...(rel === null ? {} : { relativeDb: rel }) });
  if (gaps.length > 0) problems.push(`${what}: ${gaps.length} dropout windows, first at ${gaps[0]!.startSec.toFixed(3)} s`);
  const glitches = toneGlitchWindows(samples, RATE, freq);
  const per10s = (glitches.length * 10 * RATE) / Math.max(samples.length, 1);
  const maxGlitch = criteria.maxGlitchWindowsPer10s === undefined ? 20 : criteria.maxGlitchWindowsPer10s;
  if (maxGlitch !== null && per10s > maxGlitch) problems.push(`${what}: ${glitches.length} windows of 100 ms glitched (limit ${maxGlitch} per 10 s)`);
  return { problems, summary: `${what}; ${glitches.length} glitched 100 ms windows` };
}

export interface Recorded {
  label: string;
  samples: Float32Array;
  freq: number;
  criteria?: ToneCriteria;
}

export interface QuietWindow {
  /** What is wrong with this window; [] when it passes. */
  problems: string[];
  /** One line per judged thing, for the log. */
  summaries: string[];
  /** A disturbance the window itself saw (e.g. jackd's driver waking late), or undefined. */
  disturbance?: string;
}

export interface QuietJudgeOptions {
  t: Pick<TestContext, 'diagnostic' | 'skip'>;
  /** Runs one window (attempt counts from 1) and judges it. */
  window: (attempt: number) => Promise<QuietWindow>;
  /** Windows to try at most (default 4). */
  maxWindows?: number;
  /** A window is disturbed when the host stole at least this share of CPU time (default 0.02, or RIFFBOX_STEAL_LIMIT). */
  stealLimit?: number;
  /** Where steal readings come from (default: /proc/stat); the harness's own tests pass a fixed one. */
  meter?: () => { read(): StealReading };
  /** The jackd servers the window depends on: a late wake-up of their driver marks the window disturbed. */
  jacks?: readonly Jack[];
}

/** Analysis, recorder start-up and the steal reading around one window, generously on a slow host. */
const WINDOW_OVERHEAD_MS = 4000;

/**
 * A timeout for a test that judges real-time audio: its other work plus every window it may take.
 * A suite-wide timeout sized on a quiet run cut such a test short exactly when a disturbed host made it
 * take more windows (CI, 2026-11-29: 150 s for five tests, two of them on their fourth window), so these
 * tests carry their own timeout from this.
 */
export function quietWindowsTimeout(o: { windowMs: number; maxWindows?: number; otherMs: number }): number {
  return o.otherMs + (o.maxWindows ?? 4) * (o.windowMs + WINDOW_OVERHEAD_MS);
}

export type ListenVerdict = 'passed' | 'undecided';

/**
 * Runs windows until one passes. Throws when windows run on an undisturbed host fail (two of them,
 * or one with no passing window at all); marks the test skipped and returns 'undecided' when only
 * disturbed windows failed. Callers stop their real-time checks on 'undecided'.
 */
export async function judgeInQuietWindows(opts: QuietJudgeOptions): Promise<ListenVerdict> {
  const maxWindows = opts.maxWindows ?? 4;
  const limit = opts.stealLimit ?? Number(process.env.RIFFBOX_STEAL_LIMIT ?? 0.02);
  let cleanFailures = 0;
  let lastProblems: string[] = [];
  const disturbed: string[] = [];
  for (let attempt = 1; attempt <= maxWindows; attempt++) {
    const meter = (opts.meter ?? stealMeter)();
    const lateBefore = lateWakeups(opts.jacks);
    const w = withLateWakeups(await opts.window(attempt), opts.jacks, lateWakeups(opts.jacks) - lateBefore);
    const steal = meter.read();
    for (const line of w.summaries) opts.t.diagnostic(`window ${attempt}: ${line}; ${describeSteal(steal)}`);
    if (w.problems.length === 0) return 'passed';
    lastProblems = w.problems;
    const why = steal.fraction >= limit ? `${describeSteal(steal)}, limit ${(limit * 100).toFixed(1)} %` : w.disturbance;
    if (why !== undefined) {
      disturbed.push(`window ${attempt}: ${why}`);
      opts.t.diagnostic(`window ${attempt} disturbed (${why}): ${w.problems[0]}`);
      continue;
    }
    cleanFailures++;
    if (cleanFailures >= 2) break;
    opts.t.diagnostic(`window ${attempt} failed with the host quiet (${describeSteal(steal)}): ${w.problems[0]}; trying another window`);
  }
  if (cleanFailures > 0) {
    throw new AssertionError({ message: `${lastProblems.join('\n')}\n(${cleanFailures} window(s) failed with the host quiet${disturbed.length ? '; disturbed: ' + disturbed.join(', ') : ''})` });
  }
  const reason = `verdict undecided: every window was disturbed (${disturbed.join('; ')}); last window: ${lastProblems[0]}`;
  opts.t.diagnostic(reason);
  opts.t.skip(reason);
  return 'undecided';
}

/** The window's own verdict, with the jackd late wake-ups counted around it added to its summaries and disturbance. */
function withLateWakeups(w: QuietWindow, jacks: readonly Jack[] | undefined, late: number): QuietWindow {
  if (!jacks) return w;
  const lateNote = `jackd's driver woke late ${late} times`;
  return {
    ...w,
    summaries: w.summaries.map((line) => `${line}; ${lateNote}`),
    ...(w.disturbance === undefined && late > 0 ? { disturbance: lateNote } : {}),
  };
}

export interface ListenOptions extends Omit<QuietJudgeOptions, 'window'> {
  /** Records one window (attempt counts from 1) and returns the signals to judge. */
  record: (attempt: number) => Promise<Recorded[]>;
}

/** judgeInQuietWindows for recordings of a steady tone (toneProblems on each). */
export function listenUntilJudged(opts: ListenOptions): Promise<ListenVerdict> {
  return judgeInQuietWindows({
    ...opts,
    window: async (attempt) => {
      const judged = (await opts.record(attempt)).map((s) => toneProblems(s.samples, s.freq, s.label, s.criteria));
      return { problems: judged.flatMap((j) => j.problems), summaries: judged.map((j) => j.summary) };
    },
  });
}
