// One musician's WAV file while it is written: samples gather in a buffer and go to disk in large writes at
// known offsets; the header's sizes are rewritten and the file synced every few seconds, so what is on the card
// after a power cut is a file that plays up to the last fix-up.
import { closeSync, fdatasyncSync, openSync, writeSync } from 'node:fs';
import { setModeIfSupported } from '../fs/set-mode.js';
import { join } from 'node:path';
import { RECORDING_FILE_MODE, TRACK_WRITE_BYTES, WAV_MAX_DATA_BYTES } from './recorder-facts.js';
import { WAV_HEADER_BYTES, wavHeader, writeWavSizes, type BitDepth } from './wav.js';

/** Runs a file-system call with the writer marked busy, so a stalled disk shows on the status page. */
export type IoGuard = <T>(call: () => T) => T;

export class WavLimitError extends Error {}

export class TrackFile {
  readonly path: string;
  /** Sample frames (per channel) written so far. */
  sampleFrames = 0;
  private readonly fd: number;
  private readonly pending: Buffer;
  /** The same memory as 16-bit samples (Buffer.alloc of this size is never pooled, so it starts aligned). */
  private readonly pending16: Int16Array;
  private pendingBytes = 0;
  /** Data bytes already handed to the file. */
  private flushedBytes = 0;
  private readonly bytesPerSample: number;
  private readonly scratch = Buffer.alloc(4);
  private closed = false;

  constructor(
    dir: string,
    readonly file: string,
    readonly channels: 1 | 2,
    readonly bits: BitDepth,
    private readonly io: IoGuard,
  ) {
    this.path = join(dir, file);
    this.bytesPerSample = bits / 8;
    this.pending = Buffer.alloc(TRACK_WRITE_BYTES + 128 * 2 * 3);
    this.pending16 = new Int16Array(this.pending.buffer, this.pending.byteOffset, this.pending.length >> 1);
    // 'wx': a name taken since it was chosen is an error, never an overwrite.
    this.fd = io(() => openSync(this.path, 'wx', RECORDING_FILE_MODE));
    io(() => {
      setModeIfSupported(this.path, RECORDING_FILE_MODE);
      writeSync(this.fd, wavHeader(channels, bits), 0, WAV_HEADER_BYTES, 0);
    });
  }

  get dataBytes(): number {
    return this.flushedBytes + this.pendingBytes;
  }

  /** Interleaved 16-bit samples src[offset, offset + count), a whole number of sample frames. */
  write(src: Int16Array, offset: number, count: number): void {
    const bytes = count * this.bytesPerSample;
    if (this.dataBytes + bytes > WAV_MAX_DATA_BYTES) throw new WavLimitError(`${this.file} reached the 4 GB limit of a WAV file`);
    if (this.pendingBytes + bytes > this.pending.length) this.flush();
    let o = this.pendingBytes;
    if (this.bytesPerSample === 2) {
      const p16 = this.pending16;
      const at = o >> 1;
      for (let i = 0; i < count; i++) p16[at + i] = src[offset + i]!;
      o += bytes;
    } else {
      // 24-bit: the 16-bit sample in the top two bytes, a zero below.
      const p = this.pending;
      for (let i = 0; i < count; i++) {
        const s = src[offset + i]!;
        p[o] = 0;
        p[o + 1] = s & 0xff;
        p[o + 2] = (s >> 8) & 0xff;
        o += 3;
      }
    }
    this.pendingBytes = o;
    this.sampleFrames += count / this.channels;
  }

  /** Silence for ticks the ring had to drop, so this track stays in time with the others. */
  writeSilence(sampleFrames: number, zeros: Int16Array): void {
    let left = sampleFrames * this.channels;
    while (left > 0) {
      const n = Math.min(left, zeros.length);
      this.write(zeros, 0, n);
      left -= n;
    }
  }

  flush(): void {
    if (this.pendingBytes === 0) return;
    const n = this.pendingBytes;
    const at = WAV_HEADER_BYTES + this.flushedBytes;
    this.io(() => {
      let done = 0;
      while (done < n) done += writeSync(this.fd, this.pending, done, n - done, at + done);
    });
    this.flushedBytes += n;
    this.pendingBytes = 0;
  }

  /** Everything so far on disk, with a header that says so. */
  fixup(): void {
    this.flush();
    this.io(() => {
      writeWavSizes(this.fd, this.flushedBytes, this.scratch);
      fdatasyncSync(this.fd);
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.fixup();
    } finally {
      this.io(() => closeSync(this.fd));
    }
  }
}
