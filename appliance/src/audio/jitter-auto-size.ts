// Automatic jitter-buffer sizing (protocol §3.5, "auto", JITT_BUF_SIZE 21).
//
// Ten data-less copies of the real buffer's policy, sized 2 … 11 blocks, see the same put/get
// events. Each keeps a moving error rate; the smallest size whose rate stays under a bound is the
// target. The target is smoothed with a slow-up/fast-down IIR and quantised with hysteresis, so
// the announced size changes rarely. All per-event work is allocation-free.

import { JitterWindow } from './jitter-buffer.js';

const SIM_MIN = 2;
const SIM_COUNT = 10; // sizes 2 … 11
/** Smallest and largest size auto sizing can choose. */
export const AUTO_MIN_BLOCKS = SIM_MIN;
export const AUTO_MAX_BLOCKS = SIM_MIN + SIM_COUNT - 1;
const START_SIZE = 6;
const HYSTERESIS = 0.1;

interface Tuning {
  statLength: number;
  errorBound: number;
  upMaxBound: number;
  upNormal: number;
  downNormal: number;
  upFast: number;
  downFast: number;
}

// One event per coded frame, so the constants depend on the frame length.
const TUNING_64: Tuning = {
  statLength: 22500,
  errorBound: 0.00025,
  upMaxBound: 0.005,
  upNormal: 0.9999975,
  downNormal: 0.99995,
  upFast: 0.99975,
  downFast: 0.9995,
};
const TUNING_128: Tuning = {
  statLength: 11000,
  errorBound: 0.0005,
  upMaxBound: 0.01,
  upNormal: 0.999995,
  downNormal: 0.9999,
  upFast: 0.9995,
  downFast: 0.999,
};

/**
 * Moving average of 0/1 error events over a fixed history, stored one bit per event.
 * A run of consecutive errors counts once: a burst is one incident, however long.
 */
class ErrorRate {
  private readonly bits: Uint32Array;
  private readonly length: number;
  private idx = 0;
  private filled = 0;
  private errors = 0;
  private previousError = true;

  constructor(length: number) {
    this.length = length;
    this.bits = new Uint32Array(Math.ceil(length / 32));
  }

  reset(): void {
    this.bits.fill(0);
    this.idx = 0;
    this.filled = 0;
    this.errors = 0;
    this.previousError = true;
  }

  update(error: boolean): void {
    if (error && this.previousError) return;
    this.previousError = error;
    const word = this.idx >>> 5;
    const mask = 1 << (this.idx & 31);
    if (this.filled === this.length) {
      if ((this.bits[word]! & mask) !== 0) this.errors--;
    } else {
      this.filled++;
    }
    if (error) {
      this.bits[word] = this.bits[word]! | mask;
      this.errors++;
    } else {
      this.bits[word] = this.bits[word]! & ~mask;
    }
    this.idx = this.idx + 1 === this.length ? 0 : this.idx + 1;
  }

  /** 1 (worst) until the first event, then errors / events seen (up to the history length). */
  get average(): number {
    return this.filled === 0 ? 1 : this.errors / this.filled;
  }
}

export class JitterAutoSize {
  private tuning: Tuning = TUNING_128;
  private _frameSamples: 64 | 128 = 128;
  private readonly sims: JitterWindow[] = [];
  private rates: ErrorRate[];
  private readonly rates64: ErrorRate[] = [];
  private readonly rates128: ErrorRate[] = [];
  private iir = START_SIZE;
  private initCounter = 0;
  private _currentSize = START_SIZE;
  /** Set whenever currentSize changes; the owner clears it after announcing the new size. */
  changed = false;

  constructor(frameSamples: 64 | 128 = 128, sequenced = false) {
    for (let i = 0; i < SIM_COUNT; i++) {
      this.sims.push(new JitterWindow(SIM_MIN + SIM_COUNT, SIM_MIN + i));
      // Both history lengths are allocated up front so reset() never allocates.
      this.rates64.push(new ErrorRate(TUNING_64.statLength));
      this.rates128.push(new ErrorRate(TUNING_128.statLength));
    }
    this.rates = this.rates128;
    this.reset(frameSamples, sequenced);
  }

  /** The smoothed size in blocks (2 … 11); starts at 6. */
  get currentSize(): number {
    return this._currentSize;
  }

  get frameSamples(): 64 | 128 {
    return this._frameSamples;
  }

  /** Error rate seen by the simulated buffer of `blocks` blocks (2 … 11), for diagnostics. */
  errorRate(blocks: number): number {
    const r = this.rates[blocks - SIM_MIN];
    return r === undefined ? NaN : r.average;
  }

  /** Starts over for a new stream format: statistics cleared, size back to 6, `changed` cleared. */
  reset(frameSamples: 64 | 128, sequenced: boolean): void {
    this._frameSamples = frameSamples;
    this.tuning = frameSamples === 64 ? TUNING_64 : TUNING_128;
    this.rates = frameSamples === 64 ? this.rates64 : this.rates128;
    for (let i = 0; i < SIM_COUNT; i++) {
      this.sims[i]!.clear(sequenced);
      this.rates[i]!.reset();
    }
    this.initCounter = this.tuning.statLength >> 2;
    this.iir = START_SIZE;
    this._currentSize = START_SIZE;
    this.changed = false;
  }

  /** Feed every frame that reaches the real buffer (seq −1 without sequence numbers). */
  onPut(seq: number): void {
    for (let i = 0; i < SIM_COUNT; i++) {
      this.rates[i]!.update(this.sims[i]!.putSlot(seq) < 0);
    }
  }

  /** Feed every read of the real buffer. Returns true when currentSize changed on this event. */
  onGet(): boolean {
    for (let i = 0; i < SIM_COUNT; i++) {
      this.rates[i]!.update(this.sims[i]!.getSlot() < 0);
    }
    return this.updateSize();
  }

  private smallestSizeUnder(bound: number): number {
    // The largest size is the fallback, so it is never tested.
    for (let i = 0; i < SIM_COUNT - 1; i++) {
      if (this.rates[i]!.average <= bound) return SIM_MIN + i;
    }
    return -1;
  }

  private updateSize(): boolean {
    const t = this.tuning;
    let target = this.smallestSizeUnder(t.errorBound);
    if (target < 0) target = SIM_MIN + SIM_COUNT - 1;
    let tolerable = this.smallestSizeUnder(t.upMaxBound);
    if (tolerable < 0) {
      // Even the large buffers fail badly: something drastic happened (route change, outage);
      // adapt quickly again as at the start.
      tolerable = SIM_MIN + SIM_COUNT - 1;
      this.initCounter = t.statLength >> 2;
    }

    let fast = false;
    if (this.initCounter > 0) {
      this.initCounter--;
      fast = true;
    }
    // Below the size that is merely tolerable the audio breaks up constantly: hurry upwards.
    if (this._currentSize < tolerable) fast = true;

    const wUp = fast ? t.upFast : t.upNormal;
    const wDown = fast ? t.downFast : t.downNormal;
    const w = target < this.iir ? wDown : wUp;
    this.iir = this.iir * w + (1 - w) * target;

    const prev = this._currentSize;
    const next = Math.round(this.iir > prev ? this.iir - HYSTERESIS : this.iir + HYSTERESIS);

    // Errors from the very first moments of a connection (start-up, first bursts) should not
    // weigh on the rest of the initial phase.
    if (this.initCounter === t.statLength >> 3) {
      if (this.rates[SIM_COUNT - 1]!.average > t.errorBound) {
        for (let i = 0; i < SIM_COUNT; i++) this.rates[i]!.reset();
      }
    }

    if (next !== prev) {
      this._currentSize = next;
      this.changed = true;
      return true;
    }
    return false;
  }
}
