// Judging recorded audio: which frequency dominates, how clean a tone is, and where a tone that
// should be continuous falls silent. Spectra are Welch averages of Hann-windowed FFT segments,
// so seconds of audio cost a few milliseconds per second and noise does not move the peak.
export { readWav, parseWav, writeWav, encodeWav } from './wav.js';
export type { Wav } from './wav.js';

/** Root mean square of the samples (0 for an empty array). */
export function rms(samples: ArrayLike<number>): number {
  if (samples.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i]! * samples[i]!;
  return Math.sqrt(sum / samples.length);
}

/** RMS in dB relative to full scale (a full-scale sine is −3 dBFS); −Infinity for digital silence. */
export function rmsDb(samples: ArrayLike<number>): number {
  return 20 * Math.log10(rms(samples));
}

/** In-place iterative radix-2 FFT; `re.length` must be a power of two. */
export function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  if (n !== im.length || (n & (n - 1)) !== 0) throw new Error('fft: length must be a power of two');
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      let t = re[i]!;
      re[i] = re[j]!;
      re[j] = t;
      t = im[i]!;
      im[i] = im[j]!;
      im[j] = t;
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const ang = (-2 * Math.PI) / len;
    const wr = Math.cos(ang);
    const wi = Math.sin(ang);
    for (let i = 0; i < n; i += len) {
      let cr = 1;
      let ci = 0;
      for (let k = 0; k < len / 2; k++) {
        const a = i + k;
        const b = a + len / 2;
        const xr = re[b]! * cr - im[b]! * ci;
        const xi = re[b]! * ci + im[b]! * cr;
        re[b] = re[a]! - xr;
        im[b] = im[a]! - xi;
        re[a] = re[a]! + xr;
        im[a] = im[a]! + xi;
        const ncr = cr * wr - ci * wi;
        ci = cr * wi + ci * wr;
        cr = ncr;
      }
    }
  }
}

export interface Spectrum {
  /** Mean power per bin, bins 0 … size/2. */
  power: Float64Array;
  /** Hz per bin. */
  binHz: number;
}

/** Welch power spectrum: Hann-windowed segments of `size` samples, 50 % overlap, averaged. */
export function powerSpectrum(samples: ArrayLike<number>, rate: number, size = 8192): Spectrum {
  let n = size;
  while (n > samples.length && n > 64) n >>= 1;
  if (samples.length < n) throw new Error(`powerSpectrum: need at least ${n} samples, got ${samples.length}`);
  const window = new Float64Array(n);
  for (let i = 0; i < n; i++) window[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1));
  const power = new Float64Array(n / 2 + 1);
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  let segments = 0;
  for (let start = 0; start + n <= samples.length; start += n / 2) {
    for (let i = 0; i < n; i++) {
      re[i] = samples[start + i]! * window[i]!;
      im[i] = 0;
    }
    fft(re, im);
    for (let k = 0; k <= n / 2; k++) power[k] = power[k]! + re[k]! * re[k]! + im[k]! * im[k]!;
    segments++;
  }
  for (let k = 0; k < power.length; k++) power[k] = power[k]! / segments;
  return { power, binHz: rate / n };
}

export interface FrequencyRange {
  minHz?: number;
  maxHz?: number;
}

/** The frequency with the most energy in [minHz, maxHz] (default 20 Hz … Nyquist), interpolated between bins. */
export function dominantFrequency(samples: ArrayLike<number>, rate: number, range: FrequencyRange = {}): number {
  const { power, binHz } = powerSpectrum(samples, rate);
  const lo = Math.max(1, Math.ceil((range.minHz ?? 20) / binHz));
  const hi = Math.min(power.length - 2, Math.floor((range.maxHz ?? rate / 2) / binHz));
  let best = lo;
  for (let k = lo; k <= hi; k++) if (power[k]! > power[best]!) best = k;
  if (power[best] === 0) return NaN;
  // Parabolic interpolation on log power: a sine between two bins is located to a fraction of a bin.
  const a = Math.log(power[best - 1]! + 1e-300);
  const b = Math.log(power[best]! + 1e-300);
  const c = Math.log(power[best + 1]! + 1e-300);
  const denom = a - 2 * b + c;
  const offset = denom === 0 ? 0 : (0.5 * (a - c)) / denom;
  return (best + Math.max(-0.5, Math.min(0.5, offset))) * binHz;
}

/**
 * Energy within ±bandHz of `freq` over the energy of everything else above 20 Hz, in dB.
 * A clean tone gives tens of dB; a tone buried in other sound gives ≤ 0.
 */
export function toneRatioDb(samples: ArrayLike<number>, rate: number, freq: number, bandHz = 25): number {
  const { power, binHz } = powerSpectrum(samples, rate);
  let tone = 0;
  let rest = 0;
  for (let k = Math.ceil(20 / binHz); k < power.length; k++) {
    if (Math.abs(k * binHz - freq) <= bandHz) tone += power[k]!;
    else rest += power[k]!;
  }
  return 10 * Math.log10(tone / rest);
}

/** Level of the tone at `freq` (±bandHz) in dBFS-equivalent RMS, e.g. to show that a fader silenced one source. */
export function toneLevelDb(samples: ArrayLike<number>, rate: number, freq: number, bandHz = 25): number {
  const { power, binHz } = powerSpectrum(samples, rate);
  const n = (power.length - 1) * 2;
  // Hann window: sum of w² = 3n/8; one-sided spectrum doubles every bin but DC/Nyquist.
  let tone = 0;
  for (let k = 1; k < power.length - 1; k++) if (Math.abs(k * binHz - freq) <= bandHz) tone += 2 * power[k]!;
  return 10 * Math.log10(tone / (n * ((3 * n) / 8)));
}

export interface DropoutOptions {
  /** Window length (default 20 ms). */
  windowMs?: number;
  /** A window whose RMS is below this (dBFS) is silent (default −50). */
  silenceDb?: number;
  /**
   * Also count a window as a dropout when its RMS is this many dB below the median window RMS
   * (catches concealment noise that is not silent but has lost the tone). Off by default.
   */
  relativeDb?: number;
}

export interface DropoutWindow {
  startSec: number;
  endSec: number;
  rmsDb: number;
}

/**
 * Windows (back to back, trailing partial window ignored) where a signal that should be
 * continuously present is silent. A clean recording of a steady tone returns [].
 */
export function dropoutWindows(samples: ArrayLike<number>, rate: number, opts: DropoutOptions = {}): DropoutWindow[] {
  const win = Math.max(1, Math.round(((opts.windowMs ?? 20) * rate) / 1000));
  const silenceDb = opts.silenceDb ?? -50;
  const levels: number[] = [];
  for (let start = 0; start + win <= samples.length; start += win) {
    let sum = 0;
    for (let i = start; i < start + win; i++) sum += samples[i]! * samples[i]!;
    levels.push(10 * Math.log10(sum / win));
  }
  let threshold = silenceDb;
  if (opts.relativeDb !== undefined && levels.length > 0) {
    const sorted = [...levels].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    threshold = Math.max(threshold, median - opts.relativeDb);
  }
  const out: DropoutWindow[] = [];
  levels.forEach((db, i) => {
    if (db < threshold) out.push({ startSec: (i * win) / rate, endSec: ((i + 1) * win) / rate, rmsDb: db });
  });
  return out;
}

/**
 * Windows (default 100 ms) in which the tone at `freq` is less than `minRatioDb` above everything
 * else: clicks, concealment noise and level collapses that are not silent. A clean Opus-coded
 * 240 Hz tone scores about 38 dB per window here; a glitch drops a window to ≈ 0…20 dB.
 */
export function toneGlitchWindows(samples: ArrayLike<number>, rate: number, freq: number, opts: { windowMs?: number; minRatioDb?: number } = {}): DropoutWindow[] {
  const win = Math.round(((opts.windowMs ?? 100) * rate) / 1000);
  const min = opts.minRatioDb ?? 25;
  const out: DropoutWindow[] = [];
  const view = samples instanceof Float32Array ? samples : Float32Array.from(samples);
  for (let start = 0; start + win <= view.length; start += win) {
    const w = view.subarray(start, start + win);
    const ratio = toneRatioDb(w, rate, freq, 50);
    if (ratio < min) out.push({ startSec: start / rate, endSec: (start + win) / rate, rmsDb: rmsDb(w) });
  }
  return out;
}

/** A one-line summary for assertion messages. */
export function describeSignal(samples: ArrayLike<number>, rate: number, freq?: number): string {
  if (samples.length < 64) return `${samples.length} samples`;
  const parts = [`${(samples.length / rate).toFixed(2)} s`, `rms ${rmsDb(samples).toFixed(1)} dBFS`, `dominant ${dominantFrequency(samples, rate).toFixed(1)} Hz`];
  if (freq !== undefined) parts.push(`tone ratio @${freq} Hz ${toneRatioDb(samples, rate, freq).toFixed(1)} dB`);
  return parts.join(', ');
}

/** A test signal: sine of `freq` Hz, `seconds` long, peak `amplitude`. */
export function sine(freq: number, rate: number, seconds: number, amplitude = 0.2): Float32Array {
  const n = Math.round(rate * seconds);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = amplitude * Math.sin((2 * Math.PI * freq * i) / rate);
  return out;
}
