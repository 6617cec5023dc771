// The bounded buffer between the server's tick (one producer) and the recorder's writer thread (one
// consumer): a SharedArrayBuffer of per-tick records. The producer never waits: a tick that does not fit is
// dropped whole and counted, so every track loses the same ticks and the tracks stay aligned. Positions are
// byte counters that wrap at 2^32; the data size is a power of two, so `pos & mask` is the offset.
//
// Record (4-byte aligned):   int32 length | int32 session | int32 tick | int32 entries + (frameSamples << 16)
//   then per entry:          int32 slot + (channels << 8) + (epoch << 16) | int16 samples × frameSamples × channels
// A length of WRAP means "continue at offset 0": a record never straddles the end of the buffer.

/** Shared counters, in Int32 slots before the data. */
export const CTL = {
  WRITE: 0,
  READ: 1,
  /** The last session number handed out (a session spans engines restarted for a port change). */
  SESSION: 2,
  DROPPED_TICKS: 3,
  COMMITTED_TICKS: 4,
  /** The most bytes ever waiting, as the producer saw it. */
  HIGH_WATER: 5,
  /** Linux thread id of the writer, for benchmarks that measure its CPU. */
  WRITER_TID: 6,
  /** 1 while the writer is inside a file-system call. */
  WRITER_BUSY: 7,
  /** Seconds (Unix time) the current file-system call started. */
  WRITER_BUSY_SINCE: 8,
} as const;
const CONTROL_BYTES = 64;
const HEADER_BYTES = 16;
const ENTRY_HEADER_BYTES = 4;
const WRAP = -1;

export interface RingEntry {
  slot: number;
  epoch: number;
  channels: 1 | 2;
  /** The samples are data[offset, offset + count): the ring itself, valid until release(). */
  data: Int16Array;
  offset: number;
  count: number;
}

export interface RingRecord {
  session: number;
  tick: number;
  frameSamples: number;
  /** entries[0, count) are this record's; the array itself is reused and may be longer. */
  entries: RingEntry[];
  count: number;
}

export function createRingBuffer(dataBytes: number): SharedArrayBuffer {
  if (dataBytes < 4096 || (dataBytes & (dataBytes - 1)) !== 0) throw new RangeError('ring size must be a power of two ≥ 4096');
  return new SharedArrayBuffer(CONTROL_BYTES + dataBytes);
}

/** The largest record a tick can make: every slot stereo at 128 samples. */
export function maxRecordBytes(maxClients: number): number {
  return HEADER_BYTES + maxClients * (ENTRY_HEADER_BYTES + 128 * 2 * 2);
}

class RingViews {
  readonly ctl: Int32Array;
  readonly i32: Int32Array;
  readonly i16: Int16Array;
  readonly size: number;
  readonly mask: number;

  constructor(readonly sab: SharedArrayBuffer) {
    this.ctl = new Int32Array(sab, 0, CONTROL_BYTES / 4);
    this.size = sab.byteLength - CONTROL_BYTES;
    this.mask = this.size - 1;
    this.i32 = new Int32Array(sab, CONTROL_BYTES, this.size / 4);
    this.i16 = new Int16Array(sab, CONTROL_BYTES, this.size / 2);
  }

  counter(i: number): number {
    return Atomics.load(this.ctl, i);
  }

  /** Bytes written and not yet read. */
  waiting(): number {
    return (Atomics.load(this.ctl, CTL.WRITE) - Atomics.load(this.ctl, CTL.READ)) >>> 0;
  }
}

/** The tick's side. Allocates nothing after construction. */
export class RingWriter extends RingViews {
  private readonly need: number;
  private start = 0;
  private cursor = 0;
  private end = 0;
  private entries = 0;
  private session = 0;
  private tick = 0;
  private frameSamples = 0;

  constructor(sab: SharedArrayBuffer, maxClients: number) {
    super(sab);
    this.need = maxRecordBytes(maxClients);
    if (this.need * 4 > this.size) throw new RangeError(`ring of ${this.size} bytes is too small for ${maxClients} channels`);
  }

  /** Opens a record for one tick; false (and counted) when the consumer is too far behind. */
  begin(session: number, tick: number, frameSamples: number): boolean {
    const w = Atomics.load(this.ctl, CTL.WRITE);
    const used = (w - Atomics.load(this.ctl, CTL.READ)) >>> 0;
    const offset = w & this.mask;
    const tail = this.size - offset;
    const skip = tail < this.need ? tail : 0;
    if (this.size - used < skip + this.need) {
      Atomics.add(this.ctl, CTL.DROPPED_TICKS, 1);
      return false;
    }
    if (used > Atomics.load(this.ctl, CTL.HIGH_WATER)) Atomics.store(this.ctl, CTL.HIGH_WATER, used);
    // The wrap marker is published together with the record, by commit(); an abandoned record leaves it unseen.
    if (skip > 0) this.i32[offset >> 2] = WRAP;
    this.start = (w + skip) >>> 0;
    this.cursor = (this.start & this.mask) + HEADER_BYTES;
    this.entries = 0;
    this.session = session;
    this.tick = tick;
    this.frameSamples = frameSamples;
    return true;
  }

  /** One channel's frame: frameSamples × channels interleaved samples. */
  add(slot: number, epoch: number, channels: 1 | 2, pcm: Int16Array): void {
    this.i32[this.cursor >> 2] = slot | (channels << 8) | ((epoch & 0x7fff) << 16);
    this.i16.set(pcm, (this.cursor + ENTRY_HEADER_BYTES) >> 1);
    this.cursor += ENTRY_HEADER_BYTES + pcm.length * 2;
    this.entries++;
  }

  get count(): number {
    return this.entries;
  }

  commit(): void {
    const o = (this.start & this.mask) >> 2;
    const length = this.cursor - (this.start & this.mask);
    this.i32[o] = length;
    this.i32[o + 1] = this.session;
    this.i32[o + 2] = this.tick;
    this.i32[o + 3] = this.entries | (this.frameSamples << 16);
    this.end = (this.start + length) >>> 0;
    Atomics.store(this.ctl, CTL.WRITE, this.end);
    Atomics.add(this.ctl, CTL.COMMITTED_TICKS, 1);
  }

  /** A new session number, shared by every engine that uses this ring. */
  nextSession(): number {
    return Atomics.add(this.ctl, CTL.SESSION, 1) + 1;
  }
}

/** The writer thread's side. The record it hands out is the same object each time, refilled: nothing is allocated per tick. */
export class RingReader extends RingViews {
  private pendingEnd: number | null = null;
  private readonly record: RingRecord = { session: 0, tick: 0, frameSamples: 0, entries: [], count: 0 };

  /** The oldest record, or null when the ring is empty. Call release() when done with it. */
  peek(): RingRecord | null {
    for (;;) {
      const r = Atomics.load(this.ctl, CTL.READ);
      if (r === Atomics.load(this.ctl, CTL.WRITE)) return null;
      const offset = r & this.mask;
      const length = this.i32[offset >> 2]!;
      if (length === WRAP) {
        Atomics.store(this.ctl, CTL.READ, (r + (this.size - offset)) >>> 0);
        continue;
      }
      const o = offset >> 2;
      const word = this.i32[o + 3]!;
      const n = word & 0xffff;
      const frameSamples = word >>> 16;
      const rec = this.record;
      // The entry objects are kept and refilled (the array is never shortened, which would make V8 regrow it).
      while (rec.entries.length < n) rec.entries.push({ slot: 0, epoch: 0, channels: 1, data: this.i16, offset: 0, count: 0 });
      rec.count = n;
      let p = offset + HEADER_BYTES;
      for (let i = 0; i < n; i++) {
        const e = this.i32[p >> 2]!;
        const channels = ((e >> 8) & 0xff) as 1 | 2;
        const count = frameSamples * channels;
        const entry = rec.entries[i]!;
        entry.slot = e & 0xff;
        entry.epoch = (e >> 16) & 0x7fff;
        entry.channels = channels;
        entry.offset = (p + ENTRY_HEADER_BYTES) >> 1;
        entry.count = count;
        p += ENTRY_HEADER_BYTES + count * 2;
      }
      this.pendingEnd = (r + length) >>> 0;
      rec.session = this.i32[o + 1]!;
      rec.tick = this.i32[o + 2]!;
      rec.frameSamples = frameSamples;
      return rec;
    }
  }

  release(): void {
    if (this.pendingEnd === null) return;
    Atomics.store(this.ctl, CTL.READ, this.pendingEnd);
    this.pendingEnd = null;
  }

  setCounter(i: number, v: number): void {
    Atomics.store(this.ctl, i, v);
  }
}

/** Read-only counters for the main thread (status, benchmarks); never blocks on the writer. */
export class RingCounters extends RingViews {}
