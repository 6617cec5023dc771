// The recorder's ring and tap: records come out as they went in, across the wrap; a full ring drops whole ticks
// and counts them; sessions, epochs and the one empty record that closes tracks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { CTL, RingReader, RingWriter, createRingBuffer, maxRecordBytes } from '../../appliance/src/recorder/ring.js';
import { RecordingTap, type TrackMeta } from '../../appliance/src/recorder/tap.js';

function frame(value: number, n = 128): Int16Array {
  return new Int16Array(n).fill(value);
}

test('records come out as they went in, across many wraps of a small ring', () => {
  const sab = createRingBuffer(8192);
  const w = new RingWriter(sab, 2);
  const r = new RingReader(sab);
  for (let tick = 0; tick < 500; tick++) {
    assert.ok(w.begin(7, tick, 128));
    w.add(0, 3, 1, frame(tick));
    if (tick % 3 === 0) w.add(1, 9, 2, frame(-tick, 256));
    w.commit();
    const rec = r.peek()!;
    assert.equal(rec.session, 7);
    assert.equal(rec.tick, tick);
    assert.equal(rec.frameSamples, 128);
    assert.equal(rec.count, tick % 3 === 0 ? 2 : 1);
    assert.deepEqual([rec.entries[0]!.slot, rec.entries[0]!.epoch, rec.entries[0]!.channels], [0, 3, 1]);
    const samples = (i: number): Int16Array => rec.entries[i]!.data.subarray(rec.entries[i]!.offset, rec.entries[i]!.offset + rec.entries[i]!.count);
    assert.ok(samples(0).every((v) => v === tick));
    if (tick % 3 === 0) {
      assert.deepEqual([rec.entries[1]!.slot, rec.entries[1]!.epoch, rec.entries[1]!.channels, rec.entries[1]!.count], [1, 9, 2, 256]);
      assert.ok(samples(1).every((v) => v === -tick));
    }
    r.release();
    assert.equal(r.peek(), null);
  }
  assert.equal(r.counter(CTL.DROPPED_TICKS), 0);
  assert.equal(r.counter(CTL.COMMITTED_TICKS), 500);
});

test('a full ring drops whole ticks, counts them, and takes records again once read', () => {
  const sab = createRingBuffer(8192);
  const w = new RingWriter(sab, 1);
  const r = new RingReader(sab);
  let written = 0;
  let dropped = 0;
  for (let tick = 0; tick < 100; tick++) {
    if (w.begin(1, tick, 128)) {
      w.add(0, 1, 1, frame(tick));
      w.commit();
      written++;
    } else dropped++;
  }
  assert.ok(written > 5 && dropped > 0, `${written} written, ${dropped} dropped`);
  assert.equal(r.counter(CTL.DROPPED_TICKS), dropped);
  assert.ok(r.counter(CTL.HIGH_WATER) <= 8192);
  const seen: number[] = [];
  for (let rec = r.peek(); rec; rec = r.peek()) {
    seen.push(rec.tick);
    r.release();
  }
  assert.deepEqual(seen, [...Array(written).keys()], 'the first ticks, whole and in order');
  assert.ok(w.begin(1, 100, 128), 'room again after reading');
});

test('a ring too small for the slot count is refused', () => {
  assert.throws(() => new RingWriter(createRingBuffer(4096), 10), /too small/);
  assert.throws(() => createRingBuffer(5000), /power of two/);
  assert.equal(maxRecordBytes(10), 16 + 10 * 516);
});

test('the tap: sessions, epochs posted on connect and name, one empty record that closes tracks', () => {
  const sab = createRingBuffer(1 << 16);
  const { port1, port2 } = new MessageChannel();
  const tap = new RecordingTap({ ring: sab, port: port1, recording: false }, 4, port1);
  const r = new RingReader(sab);
  const meta = (): TrackMeta[] => {
    const out: TrackMeta[] = [];
    for (let m = receiveMessageOnPort(port2); m; m = receiveMessageOnPort(port2)) out.push(m.message as TrackMeta);
    return out;
  };
  const tick = (slots: number[]): void => {
    if (!tap.beginTick(128)) return;
    for (const s of slots) tap.add(s, 1, frame(s + 1));
    tap.endTick();
  };
  const records = (): { session: number; tick: number; slots: string }[] => {
    const out = [];
    for (let rec = r.peek(); rec; rec = r.peek()) {
      out.push({ session: rec.session, tick: rec.tick, slots: rec.entries.slice(0, rec.count).map((e) => `${e.slot}/${e.epoch}`).join(',') });
      r.release();
    }
    return out;
  };

  tap.connected(2, '203.0.113.7', 5000);
  tap.named(2, 'Ann');
  assert.deepEqual(meta(), [{ slot: 2, epoch: 1, address: '203.0.113.7', port: 5000 }, { slot: 2, epoch: 1, name: 'Ann' }]);
  tick([2]);
  assert.deepEqual(records(), [], 'nothing while not recording');

  assert.equal(tap.set(true, false), -1);
  tick([2]);
  tick([2]);
  tick([]);
  tick([]);
  tick([2]);
  assert.deepEqual(records(), [
    { session: 1, tick: 0, slots: '2/1' },
    { session: 1, tick: 1, slots: '2/1' },
    { session: 1, tick: 2, slots: '' },
    { session: 1, tick: 4, slots: '2/1' },
  ]);
  tap.connected(2, '203.0.113.7', 5001);
  tick([2]);
  assert.equal(records()[0]!.slots, '2/2', 'a reconnect is a new epoch');
  assert.equal(tap.set(true, true), 1, 'restart ends session 1');
  tick([2]);
  assert.deepEqual(records(), [{ session: 2, tick: 0, slots: '2/2' }]);
  assert.equal(tap.idle(), 2, 'the last musician leaving ends session 2');
  tick([2]);
  assert.equal(records()[0]!.session, 3, 'and the next one is numbered on');
  assert.equal(tap.set(false, false), 3);
  assert.equal(tap.idle(), -1);
  port1.close();
});
