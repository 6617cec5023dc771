// The WAV files of the recorder: a plain 44-byte PCM header (what Jamulus writes, at 16 or 24 bits), the two
// sizes in it rewritten as a track grows, and the repair of a file whose sizes were left behind by a crash.
import { closeSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { SAMPLE_RATE } from './recorder-facts.js';

export const WAV_HEADER_BYTES = 44;
const RIFF_SIZE_OFFSET = 4;
const DATA_SIZE_OFFSET = 40;

export type BitDepth = 16 | 24;

export function wavHeader(channels: 1 | 2, bits: BitDepth, dataBytes = 0): Buffer {
  const h = Buffer.alloc(WAV_HEADER_BYTES);
  const block = channels * (bits / 8);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + dataBytes, RIFF_SIZE_OFFSET);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(SAMPLE_RATE, 24);
  h.writeUInt32LE(SAMPLE_RATE * block, 28);
  h.writeUInt16LE(block, 32);
  h.writeUInt16LE(bits, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(dataBytes, DATA_SIZE_OFFSET);
  return h;
}

/** Rewrites the RIFF and data sizes of an open file (8 bytes in two places, no seek of the write position). */
export function writeWavSizes(fd: number, dataBytes: number, scratch: Buffer): void {
  scratch.writeUInt32LE(36 + dataBytes, 0);
  writeSync(fd, scratch, 0, 4, RIFF_SIZE_OFFSET);
  scratch.writeUInt32LE(dataBytes, 0);
  writeSync(fd, scratch, 0, 4, DATA_SIZE_OFFSET);
}

export interface WavInfo {
  channels: number;
  bits: number;
  /** Data bytes the header declares. */
  declaredBytes: number;
  /** Whole sample frames present in the file. */
  frames: number;
}

/** Reads a header written by wavHeader(); null if the file is not one. */
export function readWavInfo(path: string): WavInfo | null {
  const fd = openSync(path, 'r');
  try {
    const h = Buffer.alloc(WAV_HEADER_BYTES);
    if (readSync(fd, h, 0, WAV_HEADER_BYTES, 0) < WAV_HEADER_BYTES) return null;
    if (h.toString('ascii', 0, 4) !== 'RIFF' || h.toString('ascii', 8, 12) !== 'WAVE' || h.toString('ascii', 36, 40) !== 'data') return null;
    const channels = h.readUInt16LE(22);
    const bits = h.readUInt16LE(34);
    const block = h.readUInt16LE(32);
    if (block === 0 || block !== channels * (bits / 8)) return null;
    const present = Math.max(0, fstatSync(fd).size - WAV_HEADER_BYTES);
    return { channels, bits, declaredBytes: h.readUInt32LE(DATA_SIZE_OFFSET), frames: Math.floor(present / block) };
  } finally {
    closeSync(fd);
  }
}

/**
 * Makes the header say what the file holds: after a crash the sizes lag behind the data (or are 0), and the
 * last sample frame may be cut. Returns the frames now declared, or null if the file is not a recorder WAV.
 */
export function repairWav(path: string): { frames: number; changed: boolean } | null {
  const info = readWavInfo(path);
  if (!info) return null;
  const block = info.channels * (info.bits / 8);
  const bytes = info.frames * block;
  const fd = openSync(path, 'r+');
  try {
    const size = fstatSync(fd).size;
    const changed = info.declaredBytes !== bytes || size !== WAV_HEADER_BYTES + bytes;
    if (size !== WAV_HEADER_BYTES + bytes) ftruncateSync(fd, WAV_HEADER_BYTES + bytes);
    if (changed) writeWavSizes(fd, bytes, Buffer.alloc(4));
    return { frames: info.frames, changed };
  } finally {
    closeSync(fd);
  }
}
