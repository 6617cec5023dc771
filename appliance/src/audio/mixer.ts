// The personal mixes of the server (protocol §4.4).
//
// For destination D and every active source S:
//   gain = G[D][S] · F_S · (S ≠ D ? F_D : 1)
//   mono D:   out += gain · s            (mono S)      out += gain · (L+R)/2   (stereo S)
//   stereo D: lg = gain · 2·min(0.5, 1−p), rg = gain · 2·min(0.5, p)
//             L += lg · s, R += rg · s   (mono S)      L += lg · L_S, R += rg · R_S  (stereo S)
// summed in floating point, then saturated to int16 (fractions truncated toward zero, as the
// reference's float→short conversion does).
//
// Speed: almost every entry of G and P keeps its default (1, 0.5), so all mixes share one sum
// B = Σ F_S·x_S per output layout, computed once per tick. A mix is then F_D·B plus a correction
// (gain − F_D·F_S)·x_S for each source whose effective gain differs from that default — its own
// channel while it fades in, and the faders its listener moved. Work per tick is O(N·frame) for
// the shared sums plus O(frame) per mix plus O(frame) per moved fader, instead of O(N²·frame).
// Sums are kept in float64, so the correction cancels exactly for integer input.

export class Mixer {
  readonly maxChannels: number;
  readonly frameSamples: number;

  private readonly gain: Float64Array; // [dest · maxChannels + src]
  private readonly pan: Float64Array; // [dest · maxChannels + src]
  private readonly fade: Float64Array;
  private readonly inChannels: Uint8Array; // 0 = no input, 1 = mono, 2 = stereo
  private readonly inMono: Float64Array; // per channel: mono signal, or (L+R)/2 of a stereo one
  private readonly inStereo: Float64Array; // per channel: interleaved L/R of a stereo input
  private readonly active: Int32Array; // channels with input, in activation order
  private activeCount = 0;
  private readonly baseMono: Float64Array;
  private readonly baseStereo: Float64Array;
  // The shared sums already saturated: the whole mix of a listener who moved no fader.
  private readonly baseMonoOut: Int16Array;
  private readonly baseStereoOut: Int16Array;
  private baseMonoDirty = true;
  private baseStereoDirty = true;
  private readonly acc: Float64Array;

  constructor(maxChannels: number, frameSamples: number) {
    if (!Number.isInteger(maxChannels) || maxChannels < 1) {
      throw new RangeError(`maxChannels must be a positive integer, got ${maxChannels}`);
    }
    if (!Number.isInteger(frameSamples) || frameSamples < 1) {
      throw new RangeError(`frameSamples must be a positive integer, got ${frameSamples}`);
    }
    this.maxChannels = maxChannels;
    this.frameSamples = frameSamples;
    this.gain = new Float64Array(maxChannels * maxChannels).fill(1);
    this.pan = new Float64Array(maxChannels * maxChannels).fill(0.5);
    this.fade = new Float64Array(maxChannels).fill(1);
    this.inChannels = new Uint8Array(maxChannels);
    this.inMono = new Float64Array(maxChannels * frameSamples);
    this.inStereo = new Float64Array(maxChannels * frameSamples * 2);
    this.active = new Int32Array(maxChannels);
    this.baseMono = new Float64Array(frameSamples);
    this.baseStereo = new Float64Array(frameSamples * 2);
    this.baseMonoOut = new Int16Array(frameSamples);
    this.baseStereoOut = new Int16Array(frameSamples * 2);
    this.acc = new Float64Array(frameSamples * 2);
  }

  private validChannel(ch: number): boolean {
    return ch >= 0 && ch < this.maxChannels && (ch | 0) === ch;
  }

  /** A channel was (re)allocated: its gains and pans, both ways, back to 1 and 0.5; fade 1. */
  resetChannel(ch: number): boolean {
    if (!this.validChannel(ch)) return false;
    const m = this.maxChannels;
    for (let i = 0; i < m; i++) {
      this.gain[ch * m + i] = 1;
      this.gain[i * m + ch] = 1;
      this.pan[ch * m + i] = 0.5;
      this.pan[i * m + ch] = 0.5;
    }
    this.setFade(ch, 1);
    return true;
  }

  /** G[dest][src] as set by dest with CHANNEL_GAIN (0 … 1, more allowed). */
  setGain(dest: number, src: number, g: number): boolean {
    if (!this.validChannel(dest) || !this.validChannel(src) || !(g >= 0) || !Number.isFinite(g)) return false;
    this.gain[dest * this.maxChannels + src] = g;
    return true;
  }

  getGain(dest: number, src: number): number {
    return this.validChannel(dest) && this.validChannel(src) ? this.gain[dest * this.maxChannels + src]! : NaN;
  }

  /** P[dest][src] as set by dest with CHANNEL_PAN (0 = left, 0.5 = centre, 1 = right). */
  setPan(dest: number, src: number, p: number): boolean {
    if (!this.validChannel(dest) || !this.validChannel(src) || !(p >= 0 && p <= 1)) return false;
    this.pan[dest * this.maxChannels + src] = p;
    return true;
  }

  getPan(dest: number, src: number): number {
    return this.validChannel(dest) && this.validChannel(src) ? this.pan[dest * this.maxChannels + src]! : NaN;
  }

  /** Fade-in factor F of a channel (0 … 1). */
  setFade(ch: number, f: number): boolean {
    if (!this.validChannel(ch) || !(f >= 0 && f <= 1)) return false;
    if (this.fade[ch] !== f) {
      this.fade[ch] = f;
      if (this.inChannels[ch] !== 0) this.markDirty();
    }
    return true;
  }

  private markDirty(): void {
    this.baseMonoDirty = true;
    this.baseStereoDirty = true;
  }

  private activate(ch: number, channels: number): void {
    if (this.inChannels[ch] === 0) this.active[this.activeCount++] = ch;
    this.inChannels[ch] = channels;
    this.markDirty();
  }

  /**
   * This tick's decoded frame of a channel: frameSamples samples per audio channel, stereo
   * interleaved. The input stays in the mix until replaced or removed.
   */
  setInput(ch: number, pcm: Int16Array, channels: 1 | 2): boolean {
    const n = this.frameSamples;
    if (!this.validChannel(ch) || (channels !== 1 && channels !== 2) || pcm.length < n * channels) return false;
    const mono = this.inMono;
    const mo = ch * n;
    if (channels === 1) {
      for (let i = 0; i < n; i++) mono[mo + i] = pcm[i]!;
    } else {
      const st = this.inStereo;
      const so = ch * n * 2;
      for (let i = 0, j = 0; i < n; i++, j += 2) {
        const l = pcm[j]!;
        const r = pcm[j + 1]!;
        st[so + j] = l;
        st[so + j + 1] = r;
        mono[mo + i] = (l + r) * 0.5;
      }
    }
    this.activate(ch, channels);
    return true;
  }

  /** As setInput, for float samples in −1 … 1 (scaled by 32768 to the int16 range). */
  setInputFloat(ch: number, pcm: Float32Array, channels: 1 | 2): boolean {
    const n = this.frameSamples;
    if (!this.validChannel(ch) || (channels !== 1 && channels !== 2) || pcm.length < n * channels) return false;
    const mono = this.inMono;
    const mo = ch * n;
    if (channels === 1) {
      for (let i = 0; i < n; i++) mono[mo + i] = pcm[i]! * 32768;
    } else {
      const st = this.inStereo;
      const so = ch * n * 2;
      for (let i = 0, j = 0; i < n; i++, j += 2) {
        const l = pcm[j]! * 32768;
        const r = pcm[j + 1]! * 32768;
        st[so + j] = l;
        st[so + j + 1] = r;
        mono[mo + i] = (l + r) * 0.5;
      }
    }
    this.activate(ch, channels);
    return true;
  }

  /** The channel was freed: it no longer contributes to any mix. */
  removeInput(ch: number): void {
    if (!this.validChannel(ch) || this.inChannels[ch] === 0) return;
    this.inChannels[ch] = 0;
    const a = this.active;
    for (let i = 0; i < this.activeCount; i++) {
      if (a[i] === ch) {
        a[i] = a[--this.activeCount]!;
        break;
      }
    }
    this.markDirty();
  }

  /** Number of channels that currently contribute. */
  get inputCount(): number {
    return this.activeCount;
  }

  private updateBaseMono(): void {
    const n = this.frameSamples;
    const base = this.baseMono;
    const mono = this.inMono;
    base.fill(0);
    for (let k = 0; k < this.activeCount; k++) {
      const s = this.active[k]!;
      const f = this.fade[s]!;
      if (f === 0) continue;
      const o = s * n;
      for (let i = 0; i < n; i++) base[i]! += f * mono[o + i]!;
    }
    saturate(base, this.baseMonoOut, n);
    this.baseMonoDirty = false;
  }

  private updateBaseStereo(): void {
    const n = this.frameSamples;
    const base = this.baseStereo;
    base.fill(0);
    for (let k = 0; k < this.activeCount; k++) {
      const s = this.active[k]!;
      const f = this.fade[s]!;
      if (f === 0) continue;
      if (this.inChannels[s] === 1) {
        const mono = this.inMono;
        const o = s * n;
        for (let i = 0, j = 0; i < n; i++, j += 2) {
          const v = f * mono[o + i]!;
          base[j]! += v;
          base[j + 1]! += v;
        }
      } else {
        const st = this.inStereo;
        const o = s * n * 2;
        for (let j = 0; j < 2 * n; j++) base[j]! += f * st[o + j]!;
      }
    }
    saturate(base, this.baseStereoOut, 2 * n);
    this.baseStereoDirty = false;
  }

  /**
   * Builds D's personal mix into out (frameSamples × destChannels samples, stereo interleaved).
   * Returns false, leaving out untouched, for a bad channel number or a short out.
   */
  mixFor(dest: number, destChannels: 1 | 2, out: Int16Array): boolean {
    const n = this.frameSamples;
    if (!this.validChannel(dest) || (destChannels !== 1 && destChannels !== 2) || out.length < n * destChannels) {
      return false;
    }
    const m = this.maxChannels;
    const row = dest * m;
    const fd = this.fade[dest]!;
    const acc = this.acc;
    const mono = this.inMono;

    if (destChannels === 1) {
      if (this.baseMonoDirty) this.updateBaseMono();
      const base = this.baseMono;
      let started = false;
      for (let k = 0; k < this.activeCount; k++) {
        const s = this.active[k]!;
        const fs = this.fade[s]!;
        const g = this.gain[row + s]! * fs * (s !== dest ? fd : 1);
        const d = g - fd * fs;
        if (d === 0) continue;
        if (!started) {
          started = true;
          if (fd === 1) for (let i = 0; i < n; i++) acc[i] = base[i]!;
          else for (let i = 0; i < n; i++) acc[i] = fd * base[i]!;
        }
        const o = s * n;
        for (let i = 0; i < n; i++) acc[i]! += d * mono[o + i]!;
      }
      if (started) saturate(acc, out, n);
      else finishDefault(base, this.baseMonoOut, fd, out, n);
      return true;
    }

    if (this.baseStereoDirty) this.updateBaseStereo();
    const base = this.baseStereo;
    const n2 = 2 * n;
    let started = false;
    for (let k = 0; k < this.activeCount; k++) {
      const s = this.active[k]!;
      const fs = this.fade[s]!;
      const g = this.gain[row + s]! * fs * (s !== dest ? fd : 1);
      const p = this.pan[row + s]!;
      const lg = g * 2 * (1 - p < 0.5 ? 1 - p : 0.5);
      const rg = g * 2 * (p < 0.5 ? p : 0.5);
      const def = fd * fs;
      const dl = lg - def;
      const dr = rg - def;
      if (dl === 0 && dr === 0) continue;
      if (!started) {
        started = true;
        if (fd === 1) for (let j = 0; j < n2; j++) acc[j] = base[j]!;
        else for (let j = 0; j < n2; j++) acc[j] = fd * base[j]!;
      }
      if (this.inChannels[s] === 1) {
        const o = s * n;
        for (let i = 0, j = 0; i < n; i++, j += 2) {
          const v = mono[o + i]!;
          acc[j]! += dl * v;
          acc[j + 1]! += dr * v;
        }
      } else {
        const st = this.inStereo;
        const o = s * n2;
        for (let j = 0; j < n2; j += 2) {
          acc[j]! += dl * st[o + j]!;
          acc[j + 1]! += dr * st[o + j + 1]!;
        }
      }
    }
    if (started) saturate(acc, out, n2);
    else finishDefault(base, this.baseStereoOut, fd, out, n2);
    return true;
  }
}

/** A mix without corrections: the shared sum, scaled by the listener's own fade-in. */
function finishDefault(base: Float64Array, baseOut: Int16Array, fd: number, out: Int16Array, count: number): void {
  if (fd === 1) {
    if (out.length === count) out.set(baseOut);
    else for (let i = 0; i < count; i++) out[i] = baseOut[i]!;
    return;
  }
  for (let i = 0; i < count; i++) {
    const v = fd * base[i]!;
    out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
}

function saturate(acc: Float64Array, out: Int16Array, count: number): void {
  for (let i = 0; i < count; i++) {
    const v = acc[i]!;
    // Int16Array stores truncate toward zero; only the range needs clamping.
    out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
}
