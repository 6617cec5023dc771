// Channel levels for CLM_CHANNEL_LEVEL_LIST (protocol §4.6, §2.5).
//
// Each update looks at one decoded frame only (the current tick's), so a level is a sparse
// sample of the signal; the ×0.5 peak-hold between updates keeps short peaks visible for a
// few updates.

const FULL_SCALE = 32767;
const LOW_DB = -50;
const HIGH_DB = 0;
const STEPS = 8;
const HOLD_DECAY = 0.5;
/** Below this (in int16 units) a held peak drops to 0 instead of decaying forever. */
const FLY_BACK = 2;

/**
 * Peak of every third sample of a frame of `frameSamples` samples per channel (stereo interleaved;
 * for stereo both sides of every third sample pair are looked at). Like the reference it measures
 * the negative excursion: the result is −min(0, samples), so full-scale negative is 32768.
 */
export function framePeak(pcm: Int16Array, frameSamples: number, channels: 1 | 2): number {
  let min = 0;
  if (channels === 2) {
    const end = Math.min(pcm.length, frameSamples * 2) - 1;
    for (let i = 0; i < end; i += 6) {
      const l = pcm[i]!;
      const r = pcm[i + 1]!;
      if (l < min) min = l;
      if (r < min) min = r;
    }
  } else {
    const end = Math.min(pcm.length, frameSamples);
    for (let i = 0; i < end; i += 3) {
      const v = pcm[i]!;
      if (v < min) min = v;
    }
  }
  return min === 0 ? 0 : -min;
}

/** Maps a linear peak (int16 units) to the 0 … 9 meter value: −50 … 0 dB → 0 … 8, rounded up. */
export function levelFromPeak(peak: number): number {
  if (!(peak > 0)) return 0;
  const db = 20 * Math.log10(peak / FULL_SCALE);
  const v = ((db - LOW_DB) * STEPS) / (HIGH_DB - LOW_DB);
  if (!(v > 0)) return 0;
  const level = Math.ceil(v);
  return level > 9 ? 9 : level;
}

/** Per-channel meter with the decaying peak-hold. */
export class LevelMeter {
  private held = 0;

  reset(): void {
    this.held = 0;
  }

  /** Feeds the channel's current frame at a level-list update; returns the level 0 … 9. */
  update(pcm: Int16Array, frameSamples: number, channels: 1 | 2): number {
    return this.updatePeak(framePeak(pcm, frameSamples, channels));
  }

  /** As update, for a peak computed elsewhere (for example by the native layer). */
  updatePeak(peak: number): number {
    this.held = this.held >= FLY_BACK ? this.held * HOLD_DECAY : 0;
    if (peak > this.held) this.held = peak;
    return levelFromPeak(this.held);
  }

  /** The held peak in int16 units, for display. */
  get heldPeak(): number {
    return this.held;
  }
}

/** Bytes a CLM_CHANNEL_LEVEL_LIST payload needs for `count` levels. */
export function levelListBytes(count: number): number {
  return (count + 1) >> 1;
}

/**
 * Packs levels[0 … count−1] two per byte, entry 2k in the low nibble of byte k, the high nibble of
 * an odd last byte 0xF. Returns the bytes written, or −1 if dst is too short (nothing written).
 * Only the low 4 bits of each level are used.
 */
export function packLevelList(levels: ArrayLike<number>, count: number, dst: Uint8Array, offset = 0): number {
  const bytes = (count + 1) >> 1;
  if (count < 0 || offset < 0 || offset + bytes > dst.length || count > levels.length) return -1;
  for (let k = 0; k < bytes; k++) {
    const lo = levels[2 * k]! & 0x0f;
    const hi = 2 * k + 1 < count ? levels[2 * k + 1]! & 0x0f : 0x0f;
    dst[offset + k] = lo | (hi << 4);
  }
  return bytes;
}

/**
 * Reads a CLM_CHANNEL_LEVEL_LIST payload into out; a high nibble of 0xF ends the list.
 * Returns the number of levels read (at most out.length).
 */
export function unpackLevelList(src: Uint8Array, offset: number, length: number, out: Uint8Array): number {
  let n = 0;
  const end = Math.min(src.length, offset + length);
  for (let i = offset; i < end && n < out.length; i++) {
    const b = src[i]!;
    out[n++] = b & 0x0f;
    const hi = b >> 4;
    if (hi === 0x0f || n >= out.length) break;
    out[n++] = hi;
  }
  return n;
}
