// Jitter buffer for coded audio frames (protocol §3.5).
//
// The bookkeeping (which slot a frame goes to, which slot a read takes) lives in
// JitterWindow so that the auto-sizer can run ten data-less copies of exactly the
// same policy. JitterBuffer adds the byte storage on top.
//
// Everything that runs per frame (put/get) is allocation-free and never throws:
// the tick calls these up to 150 × 750 times a second.

export const MIN_JITTER_BLOCKS = 1;
export const MAX_JITTER_BLOCKS = 20;
export const DEFAULT_JITTER_BLOCKS = 10;
/** The JITT_BUF_SIZE value that means "auto". */
export const AUTO_JITTER_BLOCKS = 21;

/** Slot policy of a jitter buffer, without any data. */
export class JitterWindow {
  readonly maxBlocks: number;
  private readonly valid: Uint8Array;
  private readonly validScratch: Uint8Array;
  private _size: number;
  private _sequenced = false;
  private getPos = 0;
  private putPos = 0;
  private count = 0; // FIFO mode only
  private expected = 0; // sequence number that belongs to getPos (sequenced mode)
  private synced = false;

  // Counters for status pages and tests; they never reset by themselves.
  puts = 0;
  gets = 0;
  underruns = 0;
  /** FIFO mode: frames discarded because the buffer was full. */
  overflows = 0;
  /** Sequenced mode: frames that arrived behind the read position (window moved back). */
  lateMoves = 0;
  /** Sequenced mode: frames that arrived beyond the window (window moved forward). */
  earlyMoves = 0;
  /** Frames that were stored but thrown away unread by a window move or a shrink. */
  droppedFrames = 0;

  constructor(maxBlocks: number, size: number) {
    this.maxBlocks = maxBlocks;
    this.valid = new Uint8Array(maxBlocks);
    this.validScratch = new Uint8Array(maxBlocks);
    this._size = clampSize(size, maxBlocks);
  }

  get size(): number {
    return this._size;
  }

  get sequenced(): boolean {
    return this._sequenced;
  }

  /** Frames currently held (FIFO) or valid slots in the window (sequenced). */
  get filled(): number {
    if (!this._sequenced) return this.count;
    let n = 0;
    for (let i = 0; i < this._size; i++) n += this.valid[i]!;
    return n;
  }

  /** Empties the window and switches mode; the size is kept. */
  clear(sequenced: boolean): void {
    this._sequenced = sequenced;
    this.valid.fill(0);
    this.getPos = 0;
    this.putPos = 0;
    this.count = 0;
    this.expected = 0;
    this.synced = false;
  }

  resetCounters(): void {
    this.puts = 0;
    this.gets = 0;
    this.underruns = 0;
    this.overflows = 0;
    this.lateMoves = 0;
    this.earlyMoves = 0;
    this.droppedFrames = 0;
  }

  /**
   * Claims the slot for an arriving frame. Returns the slot index (0 … size−1) or −1 when the
   * frame must be discarded (FIFO overflow). `seq` is the frame's sequence byte in sequenced mode
   * and is ignored otherwise.
   */
  putSlot(seq: number): number {
    this.puts++;
    const size = this._size;
    if (!this._sequenced) {
      if (this.count >= size) {
        this.overflows++;
        return -1;
      }
      const slot = this.putPos;
      this.putPos = slot + 1 === size ? 0 : slot + 1;
      this.count++;
      return slot;
    }

    seq &= 0xff;
    if (!this.synced) {
      // Without this the first frame would look up to 128 frames late or early relative to an
      // arbitrary start value, and be counted as a window move.
      this.expected = seq;
      this.synced = true;
    }
    let d = (seq - this.expected) & 0xff;
    if (d >= 128) d -= 256;

    let slot: number;
    if (d < 0) {
      // Late: move the window back so this frame becomes the first slot. Every slot the window
      // grows into used to stand for a far-future sequence number, so its content is void.
      this.lateMoves++;
      let pos = this.getPos;
      for (let i = d; i < 0; i++) {
        pos = pos === 0 ? size - 1 : pos - 1;
        if (this.valid[pos] !== 0) {
          this.valid[pos] = 0;
          this.droppedFrames++;
        }
      }
      this.getPos = pos;
      this.expected = (this.expected + d) & 0xff;
      slot = pos;
    } else if (d >= size) {
      // Early: move the window forward so this frame becomes the last slot; the slots skipped
      // over were never read.
      this.earlyMoves++;
      const shift = d - size + 1;
      let pos = this.getPos;
      for (let i = 0; i < shift; i++) {
        if (this.valid[pos] !== 0) {
          this.valid[pos] = 0;
          this.droppedFrames++;
        }
        pos = pos + 1 === size ? 0 : pos + 1;
      }
      this.getPos = pos;
      this.expected = (this.expected + shift) & 0xff;
      slot = pos + size - 1;
      if (slot >= size) slot -= size;
    } else {
      slot = this.getPos + d;
      if (slot >= size) slot -= size;
    }
    this.valid[slot] = 1;
    return slot;
  }

  /**
   * Takes the slot at the read position. Returns its index, or −1 on an underrun (FIFO empty, or
   * sequenced slot not filled) — the caller then runs packet-loss concealment.
   * In sequenced mode every call advances the read position, as time does.
   */
  getSlot(): number {
    this.gets++;
    const size = this._size;
    const slot = this.getPos;
    if (!this._sequenced) {
      if (this.count === 0) {
        this.underruns++;
        return -1;
      }
      this.getPos = slot + 1 === size ? 0 : slot + 1;
      this.count--;
      return slot;
    }
    const ok = this.valid[slot] !== 0;
    this.valid[slot] = 0;
    this.getPos = slot + 1 === size ? 0 : slot + 1;
    this.expected = (this.expected + 1) & 0xff;
    if (!ok) {
      this.underruns++;
      return -1;
    }
    return slot;
  }

  /**
   * Changes the number of blocks, keeping content where possible (§4.8): FIFO keeps the oldest
   * frames that fit; sequenced mode keeps the first slots of the window. The read position becomes
   * slot 0. `perm[i]` receives the old slot index whose content now sits in new slot i (−1 for an
   * empty slot), for i < the returned count; slots from the count on are empty.
   */
  resize(newSize: number, perm: Int32Array): number {
    const n = clampSize(newSize, this.maxBlocks);
    const old = this._size;
    if (!this._sequenced) {
      const kept = this.count < n ? this.count : n;
      for (let i = 0; i < kept; i++) {
        let src = this.getPos + i;
        if (src >= old) src -= old;
        perm[i] = src;
      }
      this.droppedFrames += this.count - kept;
      this._size = n;
      this.getPos = 0;
      this.count = kept;
      this.putPos = kept === n ? 0 : kept;
      return kept;
    }
    const m = old < n ? old : n;
    const scratch = this.validScratch;
    scratch.fill(0);
    for (let i = 0; i < old; i++) {
      let src = this.getPos + i;
      if (src >= old) src -= old;
      const v = this.valid[src]!;
      if (i < m) {
        perm[i] = v !== 0 ? src : -1;
        scratch[i] = v;
      } else if (v !== 0) {
        this.droppedFrames++;
      }
    }
    this.valid.set(scratch);
    this._size = n;
    this.getPos = 0;
    return m;
  }
}

function clampSize(n: number, max: number): number {
  n = Math.trunc(n);
  if (!(n >= MIN_JITTER_BLOCKS)) return MIN_JITTER_BLOCKS;
  return n > max ? max : n;
}

export interface JitterBufferOptions {
  /** Largest coded frame the buffer must hold (bytes, without the sequence byte). */
  maxBlockBytes: number;
  /** Upper bound for setSize; storage for this many blocks is allocated up front. */
  maxBlocks?: number;
  /** Initial size in blocks (default 10). */
  size?: number;
}

/** Jitter buffer of coded frames with preallocated storage. */
export class JitterBuffer {
  readonly maxBlockBytes: number;
  readonly maxBlocks: number;
  private readonly window: JitterWindow;
  private readonly storage: Uint8Array;
  // Logical slot → physical block. A resize only permutes this table, so no frame bytes move.
  private readonly blockOf: Int32Array;
  private readonly blockScratch: Int32Array;
  private readonly perm: Int32Array;
  private readonly used: Uint8Array;
  private _blockBytes = 0;
  /** Frames refused by put because of a wrong length or offset. */
  rejected = 0;

  constructor(opts: JitterBufferOptions) {
    const maxBlocks = opts.maxBlocks ?? MAX_JITTER_BLOCKS;
    if (!Number.isInteger(opts.maxBlockBytes) || opts.maxBlockBytes < 1) {
      throw new RangeError(`maxBlockBytes must be a positive integer, got ${opts.maxBlockBytes}`);
    }
    if (!Number.isInteger(maxBlocks) || maxBlocks < 1) {
      throw new RangeError(`maxBlocks must be a positive integer, got ${maxBlocks}`);
    }
    this.maxBlockBytes = opts.maxBlockBytes;
    this.maxBlocks = maxBlocks;
    this.window = new JitterWindow(maxBlocks, opts.size ?? Math.min(DEFAULT_JITTER_BLOCKS, maxBlocks));
    this.storage = new Uint8Array(maxBlocks * opts.maxBlockBytes);
    this.blockOf = new Int32Array(maxBlocks);
    this.blockScratch = new Int32Array(maxBlocks);
    this.perm = new Int32Array(maxBlocks);
    this.used = new Uint8Array(maxBlocks);
    for (let i = 0; i < maxBlocks; i++) this.blockOf[i] = i;
  }

  get size(): number {
    return this.window.size;
  }
  get blockBytes(): number {
    return this._blockBytes;
  }
  get sequenced(): boolean {
    return this.window.sequenced;
  }
  /** Frames currently held (FIFO) or valid slots (sequenced). */
  get filled(): number {
    return this.window.filled;
  }
  get puts(): number {
    return this.window.puts;
  }
  get gets(): number {
    return this.window.gets;
  }
  get underruns(): number {
    return this.window.underruns;
  }
  get overflows(): number {
    return this.window.overflows;
  }
  get lateMoves(): number {
    return this.window.lateMoves;
  }
  get earlyMoves(): number {
    return this.window.earlyMoves;
  }
  get droppedFrames(): number {
    return this.window.droppedFrames;
  }

  resetCounters(): void {
    this.window.resetCounters();
    this.rejected = 0;
  }

  /**
   * Empties the buffer for a new stream format. Returns false (and leaves the buffer unchanged)
   * when blockBytes does not fit the preallocated blocks.
   */
  reset(blockBytes: number, sequenced: boolean): boolean {
    if (!Number.isInteger(blockBytes) || blockBytes < 1 || blockBytes > this.maxBlockBytes) return false;
    this._blockBytes = blockBytes;
    this.window.clear(sequenced);
    return true;
  }

  /** Sets the size in blocks (1 … maxBlocks), keeping content where possible. */
  setSize(n: number): boolean {
    if (!Number.isInteger(n) || n < MIN_JITTER_BLOCKS || n > this.maxBlocks) return false;
    if (n === this.window.size) return true;
    const kept = this.window.resize(n, this.perm);
    const map = this.blockOf;
    const scratch = this.blockScratch;
    const used = this.used;
    scratch.set(map);
    used.fill(0);
    for (let i = 0; i < this.maxBlocks; i++) {
      const p = i < kept ? this.perm[i]! : -1;
      if (p >= 0) {
        const b = scratch[p]!;
        map[i] = b;
        used[b] = 1;
      } else {
        map[i] = -1;
      }
    }
    let next = 0;
    for (let i = 0; i < this.maxBlocks; i++) {
      if (map[i] !== -1) continue;
      while (used[next] !== 0) next++;
      map[i] = next;
      used[next] = 1;
    }
    return true;
  }

  /**
   * Stores one coded frame of exactly blockBytes bytes from src[offset …]. `seq` is the frame's
   * sequence byte, or −1 for a stream without sequence numbers. Returns false when the frame was
   * refused (wrong length, missing sequence number, FIFO full).
   */
  put(src: Uint8Array, offset: number, length: number, seq: number): boolean {
    const bytes = this._blockBytes;
    if (length !== bytes || bytes === 0 || offset < 0 || offset + length > src.length) {
      this.rejected++;
      return false;
    }
    if (this.window.sequenced && !(seq >= 0)) {
      this.rejected++;
      return false;
    }
    const slot = this.window.putSlot(seq);
    if (slot < 0) return false;
    const base = this.blockOf[slot]! * this.maxBlockBytes;
    const storage = this.storage;
    for (let i = 0; i < bytes; i++) storage[base + i] = src[offset + i]!;
    return true;
  }

  /**
   * Copies the next frame into dst and returns its length, or 0 on an underrun (run PLC).
   * A dst shorter than blockBytes also yields 0, without consuming anything.
   */
  get(dst: Uint8Array): number {
    const bytes = this._blockBytes;
    if (bytes === 0 || dst.length < bytes) return 0;
    const slot = this.window.getSlot();
    if (slot < 0) return 0;
    const base = this.blockOf[slot]! * this.maxBlockBytes;
    const storage = this.storage;
    for (let i = 0; i < bytes; i++) dst[i] = storage[base + i]!;
    return bytes;
  }
}
