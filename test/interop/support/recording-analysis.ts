// Reading what the recorder wrote, for the recording tests: a session's tracks as the .lof and .rpp place them,
// and the clicks of a JACK metronome found in a track, to see whether tracks line up.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readWav } from '../../harness/wav.js';

export interface RecordedTrack {
  file: string;
  /** Server frames from the session start, from the file name (Jamulus's NAME-ADDRESS-FRAME-CHANNELS.wav). */
  startFrame: number;
  channels: number;
  samples: Float32Array;
}

export function sessionTracks(dir: string): RecordedTrack[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.wav') && f !== 'mixdown.wav')
    .sort()
    .map((file) => {
      const m = /-(\d+)-([12])(?:_\d+)?\.wav$/.exec(file);
      if (!m) throw new Error(`${file} is not named NAME-ADDRESS-FRAME-CHANNELS.wav`);
      const wav = readWav(join(dir, file));
      return { file, startFrame: Number(m[1]), channels: Number(m[2]), samples: wav.channels[0]! };
    });
}

/** The .lof's lines: file and offset in seconds. */
export function lofEntries(path: string): { file: string; offset: number }[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const m = /^file "([^"]+)" offset (\d+\.\d{14})$/.exec(l);
      if (!m) throw new Error(`not a .lof line: ${JSON.stringify(l)}`);
      return { file: m[1]!, offset: Number(m[2]) };
    });
}

/** The .rpp's items: FILE and POSITION of each. */
export function rppItems(path: string): { file: string; position: number }[] {
  const text = readFileSync(path, 'utf8');
  const out: { file: string; position: number }[] = [];
  const re = /POSITION (\d+\.\d+)[\s\S]*?FILE "([^"]+)"/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push({ position: Number(m[1]), file: m[2]! });
  return out;
}

/** Waits for a file (the .rpp written when a session ends). */
export async function waitForFile(path: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!existsSync(path)) {
    if (Date.now() > end) throw new Error(`${path} did not appear within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Second-order high-pass (RBJ biquad), run twice: a tone a few octaves below `hz` is gone. */
export function highPass(x: Float32Array, rate: number, hz: number): Float32Array {
  return biquad(biquad(x, rate, hz, 'high'), rate, hz, 'high');
}

export function lowPass(x: Float32Array, rate: number, hz: number): Float32Array {
  return biquad(biquad(x, rate, hz, 'low'), rate, hz, 'low');
}

function biquad(x: Float32Array, rate: number, hz: number, kind: 'high' | 'low'): Float32Array {
  const w = (2 * Math.PI * hz) / rate;
  const alpha = Math.sin(w) / (2 * Math.SQRT1_2);
  const cos = Math.cos(w);
  const a0 = 1 + alpha;
  const b0 = (kind === 'high' ? (1 + cos) / 2 : (1 - cos) / 2) / a0;
  const b1 = (kind === 'high' ? -(1 + cos) : 1 - cos) / a0;
  const b2 = b0;
  const a1 = (-2 * cos) / a0;
  const a2 = (1 - alpha) / a0;
  const y = new Float32Array(x.length);
  let x1 = 0, x2 = 0, y1 = 0, y2 = 0;
  for (let i = 0; i < x.length; i++) {
    const v = b0 * x[i]! + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
    x2 = x1; x1 = x[i]!; y2 = y1; y1 = v;
    y[i] = v;
  }
  return y;
}

/**
 * Onsets (sample indices) of short bursts well above `hz`: the envelope of the high-passed signal crossing half
 * of its loud level, at least `minGap` samples apart.
 */
export function burstOnsets(x: Float32Array, rate: number, hz: number, minGap: number): number[] {
  const h = highPass(x, rate, hz);
  const env = new Float32Array(h.length);
  for (let i = 0; i < h.length; i++) env[i] = Math.abs(h[i]!);
  const sorted = Float32Array.from(env).sort();
  const loud = sorted[Math.floor(sorted.length * 0.999)]!;
  const threshold = loud / 2;
  const onsets: number[] = [];
  let last = -Infinity;
  for (let i = 0; i < env.length; i++) {
    if (env[i]! >= threshold && i - last >= minGap) {
      onsets.push(i);
      last = i;
    }
  }
  return onsets;
}
