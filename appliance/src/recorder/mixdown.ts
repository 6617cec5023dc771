// A stereo mixdown of a session to listen to right away: every track at its place on the session's timeline,
// mono tracks in the middle, stereo ones as they are, the sum brought to −1 dBFS peak. Two passes over the
// files (find the peak, then write), a tenth of a second at a time, so memory stays small whatever the length.
// Written to a temporary name and renamed, so a half-made mixdown is never served.
import { closeSync, openSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { MIXDOWN_FILE, RECORDING_FILE_MODE } from './recorder-facts.js';
import { readSession, type SessionTrack } from './session-list.js';
import { WAV_HEADER_BYTES, readWavInfo, wavHeader } from './wav.js';

const BLOCK = 4800;
const TARGET_PEAK = 0.891; // −1 dBFS

interface OpenTrack extends SessionTrack {
  fd: number;
  bytesPerSample: number;
}

/** Adds the track's samples in [from, from + BLOCK) of the session into l and r. */
function addBlock(t: OpenTrack, from: number, l: Float32Array, r: Float32Array, scratch: Buffer, s16: Int16Array): void {
  const start = Math.max(from, t.startSample);
  const end = Math.min(from + BLOCK, t.startSample + t.sampleFrames);
  if (end <= start) return;
  const frameBytes = t.channels * t.bytesPerSample;
  const got = readSync(t.fd, scratch, 0, (end - start) * frameBytes, WAV_HEADER_BYTES + (start - t.startSample) * frameBytes);
  const frames = Math.floor(got / frameBytes);
  const at = start - from;
  const k = 1 / 32768;
  const stereo = t.channels === 2;
  for (let i = 0; i < frames; i++) {
    let a: number;
    let b: number;
    if (t.bytesPerSample === 2) {
      a = s16[i * t.channels]! * k;
      b = stereo ? s16[i * 2 + 1]! * k : a;
    } else {
      // 24-bit as the recorder writes it: the sample in the top two bytes.
      const o = i * frameBytes;
      a = ((scratch[o + 2]! << 24) >> 16 | scratch[o + 1]!) * k;
      b = stereo ? ((scratch[o + 5]! << 24) >> 16 | scratch[o + 4]!) * k : a;
    }
    l[at + i]! += a;
    r[at + i]! += b;
  }
}

export interface MixdownResult {
  path: string;
  seconds: number;
  gain: number;
}

export function mixdownSession(dir: string, name: string, progress: (fraction: number) => void = () => undefined): MixdownResult {
  const session = readSession(dir, name);
  const tracks: OpenTrack[] = session.tracks.map((t) => {
    const info = readWavInfo(join(dir, t.file))!;
    return { ...t, fd: openSync(join(dir, t.file), 'r'), bytesPerSample: info.bits / 8 };
  });
  const total = Math.round(session.seconds * 48000);
  const out = join(dir, MIXDOWN_FILE);
  const tmp = `${out}.part`;
  const l = new Float32Array(BLOCK);
  const r = new Float32Array(BLOCK);
  const scratch = Buffer.alloc(BLOCK * 2 * 3);
  const s16 = new Int16Array(scratch.buffer, scratch.byteOffset, scratch.length >> 1);
  const pcm = Buffer.alloc(BLOCK * 4);
  let fd = -1;
  try {
    const mixBlock = (from: number): void => {
      l.fill(0);
      r.fill(0);
      for (const t of tracks) addBlock(t, from, l, r, scratch, s16);
    };
    let peak = 0;
    for (let from = 0; from < total; from += BLOCK) {
      mixBlock(from);
      for (let i = 0; i < BLOCK; i++) peak = Math.max(peak, Math.abs(l[i]!), Math.abs(r[i]!));
      progress((from / total) * 0.5);
    }
    const gain = peak > 0 ? TARGET_PEAK / peak : 1;
    fd = openSync(tmp, 'w', RECORDING_FILE_MODE);
    writeSync(fd, wavHeader(2, 16, total * 4));
    for (let from = 0; from < total; from += BLOCK) {
      mixBlock(from);
      const n = Math.min(BLOCK, total - from);
      for (let i = 0; i < n; i++) {
        pcm.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(l[i]! * gain * 32768))), i * 4);
        pcm.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(r[i]! * gain * 32768))), i * 4 + 2);
      }
      writeSync(fd, pcm, 0, n * 4);
      progress(0.5 + (from / total) * 0.5);
    }
    closeSync(fd);
    fd = -1;
    renameSync(tmp, out);
    progress(1);
    return { path: out, seconds: total / 48000, gain };
  } catch (e) {
    if (fd >= 0) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // nothing written
    }
    throw e;
  } finally {
    for (const t of tracks) closeSync(t.fd);
  }
}
