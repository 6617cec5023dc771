import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JitterAutoSize, JitterBuffer } from '../../appliance/src/audio/jitter-buffer.js';

const BYTES = 4;

/** A frame whose every byte is `tag`, so a read tells which frame came out. */
function frame(tag: number): Uint8Array {
  return new Uint8Array(BYTES).fill(tag & 0xff);
}

function make(size: number, sequenced: boolean): JitterBuffer {
  const jb = new JitterBuffer({ maxBlockBytes: 8, maxBlocks: 20 });
  assert.equal(jb.reset(BYTES, sequenced), true);
  assert.equal(jb.setSize(size), true);
  return jb;
}

/** Reads once: the tag of the frame, or null on underrun. */
function read(jb: JitterBuffer): number | null {
  const dst = new Uint8Array(8);
  const n = jb.get(dst);
  if (n === 0) return null;
  assert.equal(n, BYTES);
  return dst[0]!;
}

test('FIFO: frames come out in arrival order, underrun when empty', () => {
  const jb = make(4, false);
  assert.equal(read(jb), null);
  for (const t of [10, 11, 12]) assert.equal(jb.put(frame(t), 0, BYTES, -1), true);
  assert.equal(jb.filled, 3);
  assert.deepEqual([read(jb), read(jb), read(jb), read(jb)], [10, 11, 12, null]);
  assert.equal(jb.underruns, 2);
  assert.equal(jb.puts, 3);
  assert.equal(jb.gets, 5);
});

test('FIFO: a frame that does not fit is discarded and counted', () => {
  const jb = make(3, false);
  for (const t of [1, 2, 3]) assert.equal(jb.put(frame(t), 0, BYTES, -1), true);
  assert.equal(jb.put(frame(4), 0, BYTES, -1), false);
  assert.equal(jb.overflows, 1);
  assert.deepEqual([read(jb), read(jb), read(jb), read(jb)], [1, 2, 3, null]);
});

test('FIFO: wraps around the ring many times', () => {
  const jb = make(3, false);
  for (let t = 0; t < 50; t++) {
    assert.equal(jb.put(frame(t), 0, BYTES, -1), true);
    assert.equal(jb.put(frame(t + 100), 0, BYTES, -1), true);
    assert.equal(read(jb), t);
    assert.equal(read(jb), t + 100);
  }
  assert.equal(jb.underruns, 0);
});

test('put copies from an offset and rejects wrong lengths', () => {
  const jb = make(4, false);
  const packet = new Uint8Array([9, 9, 1, 2, 3, 4, 9]);
  assert.equal(jb.put(packet, 2, BYTES, -1), true);
  assert.equal(jb.put(packet, 0, BYTES + 1, -1), false);
  assert.equal(jb.put(packet, 5, BYTES, -1), false, 'past the end of src');
  assert.equal(jb.rejected, 2);
  const dst = new Uint8Array(8);
  assert.equal(jb.get(dst), BYTES);
  assert.deepEqual([...dst.subarray(0, BYTES)], [1, 2, 3, 4]);
});

test('reset refuses a block larger than the preallocated size', () => {
  const jb = new JitterBuffer({ maxBlockBytes: 8 });
  assert.equal(jb.reset(9, false), false);
  assert.equal(jb.reset(8, true), true);
  assert.equal(jb.size, 10, 'default size');
  assert.equal(jb.setSize(0), false);
  assert.equal(jb.setSize(21), false);
});

test('sequenced: in-order frames, one put one get', () => {
  const jb = make(5, true);
  for (let s = 0; s < 10; s++) {
    assert.equal(jb.put(frame(s), 0, BYTES, s), true);
    assert.equal(read(jb), s);
  }
  assert.equal(jb.underruns + jb.lateMoves + jb.earlyMoves + jb.droppedFrames, 0);
});

test('sequenced: a sequence number is required', () => {
  const jb = make(5, true);
  assert.equal(jb.put(frame(1), 0, BYTES, -1), false);
  assert.equal(jb.rejected, 1);
});

test('sequenced: reordered frames inside the window come out in sequence order', () => {
  const jb = make(6, true);
  jb.put(frame(50), 0, BYTES, 50);
  jb.put(frame(53), 0, BYTES, 53);
  jb.put(frame(51), 0, BYTES, 51);
  jb.put(frame(52), 0, BYTES, 52);
  assert.deepEqual([read(jb), read(jb), read(jb), read(jb), read(jb)], [50, 51, 52, 53, null]);
  assert.equal(jb.lateMoves + jb.earlyMoves, 0);
});

test('sequenced: a gap is an underrun (PLC) at its position, not a shift', () => {
  const jb = make(6, true);
  jb.put(frame(10), 0, BYTES, 10);
  jb.put(frame(12), 0, BYTES, 12);
  assert.deepEqual([read(jb), read(jb), read(jb)], [10, null, 12]);
  assert.equal(jb.underruns, 1);
});

test('sequenced: a late frame moves the window back and is read next', () => {
  const jb = make(5, true);
  jb.put(frame(20), 0, BYTES, 20);
  jb.put(frame(21), 0, BYTES, 21);
  jb.put(frame(22), 0, BYTES, 22);
  assert.equal(read(jb), 20);
  assert.equal(read(jb), 21);
  // Read position now expects 22; 19 is 3 behind.
  jb.put(frame(19), 0, BYTES, 19);
  assert.equal(jb.lateMoves, 1);
  assert.equal(read(jb), 19);
  assert.equal(read(jb), null); // 20 was already played
  assert.equal(read(jb), null); // 21 too
  assert.equal(read(jb), 22, 'frames ahead of the old read position survive the move');
});

test('sequenced: a late move voids the far-future frames whose slots it takes over', () => {
  const jb = make(4, true);
  for (let s = 100; s < 104; s++) jb.put(frame(s), 0, BYTES, s); // window full: 100..103
  jb.put(frame(99), 0, BYTES, 99); // window becomes 99..102, 103 has no slot any more
  assert.equal(jb.droppedFrames, 1);
  assert.deepEqual([read(jb), read(jb), read(jb), read(jb), read(jb)], [99, 100, 101, 102, null]);
});

test('sequenced: an early frame moves the window forward so it becomes the last slot', () => {
  const jb = make(4, true);
  jb.put(frame(0), 0, BYTES, 0);
  jb.put(frame(1), 0, BYTES, 1);
  jb.put(frame(6), 0, BYTES, 6); // window 0..3 → 3..6; 0 and 1 are skipped unread
  assert.equal(jb.earlyMoves, 1);
  assert.equal(jb.droppedFrames, 2);
  assert.deepEqual([read(jb), read(jb), read(jb), read(jb)], [null, null, null, 6]);
});

test('sequenced: sequence numbers wrap at 256', () => {
  const jb = make(4, true);
  // Reordered across the wrap.
  jb.put(frame(254), 0, BYTES, 254);
  jb.put(frame(0), 0, BYTES, 0);
  jb.put(frame(255), 0, BYTES, 255);
  jb.put(frame(1), 0, BYTES, 1);
  assert.deepEqual([read(jb), read(jb), read(jb), read(jb)], [254, 255, 0, 1]);
  assert.equal(jb.lateMoves + jb.earlyMoves, 0);
  // A long steady run through several wraps.
  for (let i = 2; i < 1000; i++) {
    jb.put(frame(i), 0, BYTES, i & 0xff);
    assert.equal(read(jb), i & 0xff);
  }
  assert.equal(jb.underruns + jb.lateMoves + jb.earlyMoves, 0);
});

test('sequenced: a frame late across the wrap is recognised as late', () => {
  const jb = make(4, true);
  jb.put(frame(1), 0, BYTES, 1);
  assert.equal(read(jb), 1); // now expects 2
  jb.put(frame(254), 0, BYTES, 254); // 4 behind
  assert.equal(jb.lateMoves, 1);
  assert.equal(jb.earlyMoves, 0);
  assert.equal(read(jb), 254);
});

test('setSize keeps the oldest FIFO frames that fit', () => {
  const jb = make(6, false);
  for (const t of [1, 2, 3, 4, 5]) jb.put(frame(t), 0, BYTES, -1);
  read(jb); // ring now starts at slot 1
  assert.equal(jb.setSize(3), true);
  assert.equal(jb.filled, 3);
  assert.equal(jb.droppedFrames, 1);
  assert.equal(jb.put(frame(9), 0, BYTES, -1), false, 'full after shrinking');
  assert.equal(jb.setSize(8), true);
  assert.equal(jb.put(frame(9), 0, BYTES, -1), true);
  assert.deepEqual([read(jb), read(jb), read(jb), read(jb), read(jb)], [2, 3, 4, 9, null]);
});

test('setSize keeps the first slots of a sequenced window', () => {
  const jb = make(5, true);
  for (const s of [30, 31, 33, 34]) jb.put(frame(s), 0, BYTES, s);
  assert.equal(read(jb), 30); // expects 31
  assert.equal(jb.setSize(3), true); // window 31..33, 34 is lost
  assert.equal(jb.droppedFrames, 1);
  assert.equal(jb.setSize(7), true);
  jb.put(frame(36), 0, BYTES, 36);
  assert.deepEqual([read(jb), read(jb), read(jb), read(jb), read(jb), read(jb)], [31, null, 33, null, null, 36]);
});

// ---- auto sizing: deterministic event sequences, no clock ----

/** One put and one get per frame period: a perfect network. */
function clean(auto: JitterAutoSize, cycles: number, sizes: number[], seq: { n: number } | null): void {
  for (let c = 0; c < cycles; c++) {
    auto.onPut(seq === null ? -1 : seq.n++ & 0xff);
    if (auto.onGet()) sizes.push(auto.currentSize);
  }
}

/** Frames arrive in bursts of `burst` with nothing in between; reads stay regular. */
function bursty(auto: JitterAutoSize, cycles: number, burst: number, sizes: number[], seq: { n: number } | null): void {
  for (let c = 0; c < cycles; c++) {
    for (let i = 0; i < burst; i++) auto.onPut(seq === null ? -1 : seq.n++ & 0xff);
    for (let i = 0; i < burst; i++) if (auto.onGet()) sizes.push(auto.currentSize);
  }
}

function isMonotone(xs: number[], dir: 1 | -1): boolean {
  for (let i = 1; i < xs.length; i++) if ((xs[i]! - xs[i - 1]!) * dir < 0) return false;
  return true;
}

test('auto size starts at 6 and shrinks on a clean network (128-sample frames)', () => {
  const auto = new JitterAutoSize(128, false);
  assert.equal(auto.currentSize, 6);
  assert.equal(auto.changed, false);
  const sizes: number[] = [];
  clean(auto, 5000, sizes, null);
  assert.ok(auto.currentSize <= 3, `size ${auto.currentSize}`);
  assert.ok(auto.changed);
  assert.ok(isMonotone(sizes, -1), `sizes ${sizes.join(',')}`);
  // One report per step: every announced size differs from the one before.
  assert.equal(sizes.length, 6 - auto.currentSize);
  assert.equal(auto.errorRate(2), 0);
});

test('auto size grows under bursty arrival, then shrinks again when the network is clean', () => {
  const auto = new JitterAutoSize(128, false);
  const up: number[] = [];
  bursty(auto, 2000, 10, up, null);
  assert.equal(auto.currentSize, 10, `sizes ${up.join(',')}`);
  assert.ok(isMonotone(up, 1), `sizes ${up.join(',')}`);
  assert.ok(auto.errorRate(9) > 0.01 && auto.errorRate(10) === 0);

  auto.changed = false;
  const down: number[] = [];
  clean(auto, 40000, down, null);
  assert.ok(auto.currentSize <= 4, `size ${auto.currentSize}`);
  assert.ok(auto.changed);
  assert.ok(isMonotone(down, -1), `sizes ${down.join(',')}`);
});

test('auto size grows under bursty arrival with sequence numbers', () => {
  const auto = new JitterAutoSize(128, true);
  const up: number[] = [];
  bursty(auto, 2000, 8, up, { n: 200 });
  assert.ok(auto.currentSize >= 8, `size ${auto.currentSize}, sizes ${up.join(',')}`);
  const down: number[] = [];
  clean(auto, 40000, down, { n: 7 });
  assert.ok(auto.currentSize <= 4, `size ${auto.currentSize}`);
});

test('auto size with 64-sample tuning reacts more slowly but the same way', () => {
  const fast = new JitterAutoSize(128, false);
  const slow = new JitterAutoSize(64, false);
  const ignore: number[] = [];
  bursty(fast, 400, 10, ignore, null);
  bursty(slow, 400, 10, ignore, null);
  assert.ok(fast.currentSize > slow.currentSize, `${fast.currentSize} vs ${slow.currentSize}`);
  bursty(slow, 3000, 10, ignore, null);
  assert.equal(slow.currentSize, 10);
  slow.reset(64, false);
  assert.equal(slow.currentSize, 6);
  assert.equal(slow.changed, false);
});
